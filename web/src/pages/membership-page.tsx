import type { MembershipJson, MembershipViewJson } from '../api/access-types.js';
import { useApp } from '../app-context.js';
import { ApiErrorBox } from '../components/api-error.js';
import { Progress } from '../components/progress.js';
import { ReasonAction } from '../components/reason-action.js';
import { useLoad } from '../components/use-load.js';
import { MEMBERSHIP_ACTION_LABELS, REASON_REQUIRED, membershipActions, stateWords } from '../model/access.js';
import { href } from '../routing.js';

/** Coordinator staff: every node's membership (applied, approved, declined, suspended) and the actions on it. */
export function MembershipPage() {
  const { api, roles } = useApp();
  const list = useLoad((signal) => api.call<{ memberships: MembershipJson[] }>('GET', '/api/v1/membership', undefined, signal), [api]);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Node membership</h1>
      <p className="hint">
        Nodes apply with a signed application (<code>biospec node join</code>); only approved nodes are asked questions. Every decision is
        recorded with who, when and why, and applies at once.
      </p>
      {list.loading && <Progress label="Loading memberships…" />}
      <ApiErrorBox title="Could not list the memberships" error={list.error} />
      {list.data && list.data.memberships.length === 0 && <p>No node has applied yet.</p>}
      {list.data && list.data.memberships.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="membership-caption">
          <table className="data-table data-table--stack" data-testid="membership-table">
            <caption id="membership-caption">Members and applicants</caption>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">State</th>
                <th scope="col">Endpoint and contact</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.memberships.map((m) => (
                <tr key={m.nodeId} data-node={m.nodeId}>
                  <th scope="row">
                    <a href={href('membership', m.nodeId)}>{m.name}</a>
                    <span className="cell-note">{m.nodeId}</span>
                  </th>
                  <td data-label="State">
                    <span className={`badge badge--state-${m.state}`}>{stateWords(m.state)}</span>
                    <span className="cell-note">since {new Date(m.updatedAt).toLocaleString('en-GB')}</span>
                  </td>
                  <td data-label="Endpoint and contact">
                    <code>{m.endpoint}</code>
                    {m.contact && <span className="cell-note">{m.contact}</span>}
                  </td>
                  <td data-label="Actions">
                    <div className="actions actions--stack" role="group" aria-label={`Actions on ${m.nodeId}`}>
                      {membershipActions(m.state, roles).map((action) => (
                        <ReasonAction
                          key={action}
                          label={MEMBERSHIP_ACTION_LABELS[action]}
                          purpose={`${MEMBERSHIP_ACTION_LABELS[action].toLowerCase()} (${m.nodeId})`}
                          reasonRequired={REASON_REQUIRED.has(action)}
                          tone={action === 'approve' || action === 'readmit' ? 'primary' : 'danger'}
                          run={(reason) =>
                            api.call('POST', `/api/v1/membership/${encodeURIComponent(m.nodeId)}/actions/${action}`, reason ? { reason } : {})
                          }
                          onDone={list.reload}
                        />
                      ))}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** One node's membership and its history. */
export function MembershipDetailPage({ nodeId }: { nodeId: string }) {
  const { api } = useApp();
  const view = useLoad((signal) => api.call<MembershipViewJson>('GET', `/api/v1/membership/${encodeURIComponent(nodeId)}`, undefined, signal), [api, nodeId]);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Membership of {view.data?.membership.name ?? nodeId}</h1>
      {view.loading && <Progress label="Loading…" />}
      <ApiErrorBox title="Could not load the membership" error={view.error} />
      {view.data && (
        <>
          <p>
            <span className={`badge badge--state-${view.data.membership.state}`}>{stateWords(view.data.membership.state)}</span>{' '}
            <code>{view.data.membership.endpoint}</code>
          </p>
          <h2>History</h2>
          <ol className="timeline">
            {view.data.history.map((h) => (
              <li key={h.seq}>
                <time dateTime={h.at}>{new Date(h.at).toLocaleString('en-GB')}</time>{' '}
                <strong>
                  {h.from ? `${stateWords(h.from)} → ` : ''}
                  {stateWords(h.to)}
                </strong>{' '}
                by {h.actor.name ?? 'someone'} ({h.actor.role}){h.reason && <span className="timeline-reason">“{h.reason}”</span>}
              </li>
            ))}
          </ol>
          <p>
            <a href={href('membership')}>All memberships</a>
          </p>
        </>
      )}
    </section>
  );
}
