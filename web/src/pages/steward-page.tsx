import type { AccessRequestJson, HeldQuestionJson, SiteHoldsJson } from '../api/access-types.js';
import { useApp } from '../app-context.js';
import { ApiErrorBox } from '../components/api-error.js';
import { Progress } from '../components/progress.js';
import { ReasonAction } from '../components/reason-action.js';
import { useLoad } from '../components/use-load.js';
import { stateWords, stewardedNodes } from '../model/access.js';
import { href } from '../routing.js';

/**
 * A node steward's work: for each site they steward, the access requests that ask it, those
 * waiting for the site's answer first (decided on the request's page, with the reason), and the
 * questions the node holds for its steward (released or declined here, with the reason).
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
            <HeldQuestions nodeId={nodeId} />
          </section>
        );
      })}
    </section>
  );
}

function when(iso: string): string {
  return new Date(iso).toLocaleString('en-GB');
}

/** A short name for a held question: the start of its id, enough to tell rows apart and to find it with `biospec node holds`. */
const shortId = (hold: HeldQuestionJson) => hold.id.slice(0, 8);

/**
 * The questions a node holds for its steward, asked of the node through the coordinator: the
 * question, who asked (their pseudonym) and why; never the figures, which stay at the node until
 * released. A node that takes decisions only on its own machine says so, and the page shows it.
 */
function HeldQuestions({ nodeId }: { nodeId: string }) {
  const { api } = useApp();
  const path = `/api/v1/sites/${encodeURIComponent(nodeId)}/holds`;
  const list = useLoad((signal) => api.call<SiteHoldsJson>('GET', path, undefined, signal), [api, path]);
  const holds = list.data?.holds ?? [];
  const waiting = holds.filter((h) => h.status === 'held');
  const decided = holds.filter((h) => h.status !== 'held');
  const decide = (hold: HeldQuestionJson, action: 'release' | 'decline') => (reason: string) =>
    api.call('POST', `${path}/${encodeURIComponent(hold.id)}/${action}`, action === 'release' && reason.trim() === '' ? {} : { reason });
  return (
    <>
      <h3>Held questions</h3>
      <p>
        Answers this node keeps for its steward (<code>"release": "hold"</code>). Releasing one lets the researcher get its figures by asking the
        same question again; declining one tells them your reason. The figures stay at the node either way.
      </p>
      {list.loading && <Progress label={`Loading the questions ${nodeId} holds…`} />}
      <ApiErrorBox title={`Could not list the questions ${nodeId} holds`} error={list.error} />
      {list.error && (
        <p className="notice">
          On the node's machine they can always be listed and decided: <code>biospec node holds list --dir DIR</code>,{' '}
          <code>biospec node holds release ID --steward NAME</code>, <code>biospec node holds decline ID --steward NAME --reason TEXT</code>.
        </p>
      )}
      {list.data && waiting.length === 0 && <p>No question is waiting for your decision.</p>}
      {waiting.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-label={`Questions ${nodeId} holds`}>
          <table className="data-table data-table--stack" data-testid={`steward-holds-${nodeId}`}>
            <caption>Questions waiting for your decision at {nodeId}</caption>
            <thead>
              <tr>
                <th scope="col">Question</th>
                <th scope="col">Asked by</th>
                <th scope="col">Held</th>
                <th scope="col">Decision</th>
              </tr>
            </thead>
            <tbody>
              {waiting.map((hold) => (
                <tr key={hold.id} data-hold={hold.id}>
                  <th scope="row">
                    Question {shortId(hold)}
                    <code className="hold-query">{hold.canonicalQuery}</code>
                  </th>
                  <td data-label="Asked by">
                    {hold.researcher}
                    <span className="cell-note">
                      project {hold.project} · purpose {hold.purpose}
                    </span>
                  </td>
                  <td data-label="Held">
                    {when(hold.heldAt)}
                    <span className="cell-note">data epoch {hold.dataEpoch}</span>
                  </td>
                  <td data-label="Decision">
                    <div className="actions actions--stack">
                      <ReasonAction
                        label={`Release question ${shortId(hold)}`}
                        purpose={`releasing question ${shortId(hold)} (kept in the node's audit log)`}
                        tone="primary"
                        run={decide(hold, 'release')}
                        onDone={list.reload}
                      />
                      <ReasonAction
                        label={`Decline question ${shortId(hold)}`}
                        purpose={`declining question ${shortId(hold)} (told to the researcher)`}
                        reasonRequired
                        tone="danger"
                        run={decide(hold, 'decline')}
                        onDone={list.reload}
                      />
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {decided.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-label={`Decided questions at ${nodeId}`}>
          <table className="data-table data-table--stack" data-testid={`steward-decided-${nodeId}`}>
            <caption>Decided questions at {nodeId}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Question</th>
                <th scope="col">Decision</th>
                <th scope="col">By</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {decided.map((hold) => (
                <tr key={hold.id} data-hold={hold.id}>
                  <th scope="row">
                    Question {shortId(hold)}
                    <span className="cell-note">
                      {hold.researcher} · project {hold.project}
                    </span>
                  </th>
                  <td data-label="Decision">
                    <span className={`badge badge--state-${hold.status}`}>{hold.status}</span>
                    <span className="cell-note">{when(hold.decidedAt)}</span>
                  </td>
                  <td data-label="By">{hold.decidedBy}</td>
                  <td data-label="Reason">{hold.reason || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data && list.data.total > holds.length && (
        <p className="cell-note">
          Showing {holds.length} of {list.data.total} questions; <code>biospec node holds list</code> on the node lists them all.
        </p>
      )}
    </>
  );
}
