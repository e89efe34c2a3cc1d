import { useState } from 'react';
import type { AccessRequestJson } from '../api/access-types.js';
import { useApp } from '../app-context.js';
import { ApiErrorBox } from '../components/api-error.js';
import { Progress } from '../components/progress.js';
import { useLoad } from '../components/use-load.js';
import { hasRole, stateWords, stewardedNodes, waitsForStaff } from '../model/access.js';
import { href } from '../routing.js';

type Filter = 'all' | 'staff' | 'open' | 'closed';

const OPEN_STATES = new Set(['draft', 'submitted', 'under_review', 'returned', 'approved']);

/**
 * Access requests the person may see (the coordinator filters: a researcher their own, staff
 * all but others' drafts, a steward those asking their site). Staff start on the review queue.
 */
export function RequestsPage({ queue }: { queue: boolean }) {
  const { api, roles } = useApp();
  const staff = hasRole(roles, 'staff');
  const [filter, setFilter] = useState<Filter>(queue && staff ? 'staff' : 'all');
  const list = useLoad((signal) => api.call<{ requests: AccessRequestJson[] }>('GET', '/api/v1/access/requests', undefined, signal), [api]);
  const requests = (list.data?.requests ?? []).filter((r) =>
    filter === 'staff' ? waitsForStaff(r) : filter === 'open' ? OPEN_STATES.has(r.state) : filter === 'closed' ? !OPEN_STATES.has(r.state) : true,
  );
  const myNodes = stewardedNodes(roles);
  const title = queue && staff ? 'Review queue' : 'Access requests';
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{title}</h1>
      <p className="hint">
        {staff
          ? 'Requests submitted by researchers: take them under review, then approve, return or decline them; each site’s steward then answers for their site.'
          : 'Your requests for access to collections, from an availability answer. Open one to follow its timeline.'}
      </p>
      <div className="field">
        <label htmlFor="request-filter">Show</label>
        <select id="request-filter" value={filter} onChange={(e) => setFilter(e.target.value as Filter)}>
          <option value="all">every request I may see</option>
          {staff && <option value="staff">waiting for staff (submitted, under review)</option>}
          <option value="open">open requests</option>
          <option value="closed">concluded, declined or abandoned</option>
        </select>
      </div>
      {list.loading && <Progress label="Loading requests…" />}
      <ApiErrorBox title="Could not list the requests" error={list.error} />
      {list.data && requests.length === 0 && <p>No requests to show.</p>}
      {requests.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="requests-caption">
          <table className="data-table data-table--stack" data-testid="requests-table">
            <caption id="requests-caption">{title}</caption>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">State</th>
                <th scope="col">Sites</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {requests.map((r) => (
                <tr key={r.id} data-request={r.id}>
                  <th scope="row">
                    <a href={href('requests', r.id)}>{r.title}</a>
                    <span className="cell-note">{r.id}</span>
                  </th>
                  <td data-label="State">
                    <span className={`badge badge--state-${r.state}`}>{stateWords(r.state)}</span>
                  </td>
                  <td data-label="Sites">
                    {r.sites.map((s) => (
                      <span key={s.nodeId} className={`cell-note${myNodes.includes(s.nodeId) ? ' mine' : ''}`}>
                        {s.nodeId}: {stateWords(s.state)}
                      </span>
                    ))}
                  </td>
                  <td data-label="Updated">{new Date(r.updatedAt).toLocaleString('en-GB')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
