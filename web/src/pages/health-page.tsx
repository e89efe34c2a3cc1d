import type { NetworkHealthJson } from '../api/access-types.js';
import { useApp } from '../app-context.js';
import { ApiErrorBox } from '../components/api-error.js';
import { Progress } from '../components/progress.js';
import { useLoad } from '../components/use-load.js';
import { stateWords } from '../model/access.js';
import { statusWord } from '../model/figures.js';

function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(rate > 0 && rate < 0.01 ? 1 : 0)} %`;
}

/** Coordinator staff: each node's last contact, status, recent latency and error rate, software version and data epoch. */
export function HealthPage() {
  const { api } = useApp();
  const health = useLoad((signal) => api.call<NetworkHealthJson>('GET', '/api/v1/network', undefined, signal), [api]);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Network health</h1>
      <p className="hint">
        From the coordinator's own calls to each node
        {health.data ? ` over the last ${health.data.windowMinutes} minutes` : ''} (errors: timeouts, unreachable, failed answers; a refusal of one
        person's question is not an error), each node's description, and the network directory when it is enabled.
      </p>
      <div className="actions">
        <button type="button" className="button" onClick={health.reload} disabled={health.loading}>
          Refresh
        </button>
      </div>
      {health.loading && <Progress label="Asking every node to describe itself…" />}
      <ApiErrorBox title="Could not load the network's health" error={health.error} />
      {health.data && (
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="health-caption">
          <table className="data-table data-table--stack" data-testid="health-table">
            <caption id="health-caption">Nodes</caption>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Status</th>
                <th scope="col">Last seen</th>
                <th scope="col">Latency (p50 / p95)</th>
                <th scope="col">Error rate</th>
                <th scope="col">Software</th>
                <th scope="col">Data epoch</th>
              </tr>
            </thead>
            <tbody>
              {health.data.nodes.map((n) => (
                <tr key={n.nodeId} data-node={n.nodeId}>
                  <th scope="row">
                    {n.name}
                    <span className="cell-note">
                      {n.nodeId} · <code>{n.endpoint}</code>
                      {n.membership ? ` · ${stateWords(n.membership)}` : ''}
                    </span>
                  </th>
                  <td data-label="Status">
                    <span className={`badge badge--${statusWord(n.lastStatus ?? undefined).replace(/\s+/g, '-')}`}>{statusWord(n.lastStatus ?? undefined)}</span>
                  </td>
                  <td data-label="Last seen">
                    {n.lastSeenAt ? new Date(n.lastSeenAt).toLocaleString('en-GB') : 'never answered'}
                    {n.directory && (
                      <span className="cell-note">
                        directory: {n.directory.stale ? 'silent' : 'live'}, last heard {new Date(n.directory.lastSeenAt).toLocaleString('en-GB')}
                      </span>
                    )}
                  </td>
                  <td data-label="Latency (p50 / p95)">
                    {n.latencyP50Ms === null ? '—' : `${n.latencyP50Ms} / ${n.latencyP95Ms} ms`}
                    <span className="cell-note">{n.calls} calls</span>
                  </td>
                  <td data-label="Error rate">{percent(n.errorRate)}</td>
                  <td data-label="Software">{n.software ? `${n.software.name} ${n.software.version}` : 'not known (no answer)'}</td>
                  <td data-label="Data epoch">{n.dataEpoch ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
