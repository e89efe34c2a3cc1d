import type { AccessRequestJson } from '../api/access-types.js';
import { useApp } from '../app-context.js';
import { ApiErrorBox } from '../components/api-error.js';
import { Progress } from '../components/progress.js';
import { useLoad } from '../components/use-load.js';
import { stateWords, stewardedNodes } from '../model/access.js';
import { href } from '../routing.js';

/**
 * A node steward's work: for each site they steward, the access requests that ask it, those
 * waiting for the site's answer first. Decisions are taken on the request's page, with the reason.
 */
export function StewardPage() {
  const { api, roles } = useApp();
  const nodes = stewardedNodes(roles);
  const list = useLoad((signal) => api.call<{ requests: AccessRequestJson[] }>('GET', '/api/v1/access/requests', undefined, signal), [api]);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">My sites</h1>
      {list.loading && <Progress label="Loading the requests for your sites…" />}
      <ApiErrorBox title="Could not list the requests" error={list.error} />
      {nodes.map((nodeId) => {
        const asking = (list.data?.requests ?? [])
          .map((r) => ({ request: r, site: r.sites.find((s) => s.nodeId === nodeId) }))
          .filter((x): x is { request: AccessRequestJson; site: NonNullable<typeof x.site> } => x.site !== undefined)
          .sort((a, b) => Number(b.site.state === 'pending' || b.site.state === 'on_hold') - Number(a.site.state === 'pending' || a.site.state === 'on_hold'));
        return (
          <section key={nodeId} className="panel" aria-labelledby={`steward-${nodeId}`}>
            <h2 id={`steward-${nodeId}`}>Site {nodeId}</h2>
            <h3>Access requests</h3>
            {list.data && asking.length === 0 && <p>No approved request asks this site yet.</p>}
            {asking.length > 0 && (
              <div className="table-scroll" tabIndex={0} role="region" aria-label={`Access requests for ${nodeId}`}>
                <table className="data-table data-table--stack" data-testid={`steward-requests-${nodeId}`}>
                  <caption>Requests asking {nodeId}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Request</th>
                      <th scope="col">Site's answer</th>
                      <th scope="col">Collections</th>
                    </tr>
                  </thead>
                  <tbody>
                    {asking.map(({ request, site }) => (
                      <tr key={request.id}>
                        <th scope="row">
                          <a href={href('requests', request.id)}>{request.title}</a>
                          <span className="cell-note">
                            {request.id} · request {stateWords(request.state)}
                          </span>
                        </th>
                        <td data-label="Site's answer">
                          <span className={`badge badge--state-${site.state}`}>{stateWords(site.state)}</span>
                        </td>
                        <td data-label="Collections">{site.collections.join(', ')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <h3>Held questions</h3>
            <p className="notice">
              Questions this node holds for its steward (<code>"release": "hold"</code>) are kept at the node, not at the coordinator, and the
              coordinator has no route to them yet. Release or decline them on the node's machine:{' '}
              <code>biospec node holds list --dir DIR</code>, <code>biospec node holds release ID --steward NAME</code>,{' '}
              <code>biospec node holds decline ID --steward NAME --reason TEXT</code>.
            </p>
          </section>
        );
      })}
    </section>
  );
}
