/**
 * For a person whose roles have no page here: a node operator runs their node (imports,
 * membership application, keys) with the CLI on the node's own machine, not in this UI.
 */
export function NoPagesPage({ roles }: { roles: readonly string[] }) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Nothing to do here for your roles</h1>
      <p>
        You are signed in with the roles <strong>{roles.length ? roles.join(', ') : 'none'}</strong>. The web UI has pages for researchers, coordinator staff and
        node stewards. A node operator works with the command line on the node&apos;s machine (<code>biospec node …</code>: imports, the membership application,
        keys); ask coordinator staff if you need another role.
      </p>
    </section>
  );
}
