import { STATUS_REFRESH_MS, type NodeConfig, type NodeStatus } from '@biospec/node/config';

/** True when a process with this id exists (signal 0 only checks; EPERM means it exists under another user). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/**
 * What `biospec node status` prints: whether the node runs (its status file is fresh and its
 * process exists), where it listens, and whether its connection out to the coordinator is up.
 * `ok` is false when the node is not running, or connects out and is not connected.
 */
export function describeNodeStatus(
  config: NodeConfig,
  status: NodeStatus | undefined,
  options: { now?: number; processExists?: (pid: number) => boolean } = {},
): { ok: boolean; lines: string[]; status: NodeStatus | undefined } {
  const now = options.now ?? Date.now();
  const exists = options.processExists ?? processExists;
  if (status === undefined) return { ok: false, lines: [`node ${config.nodeId}: not running (no status file; it is written while the node runs)`], status };
  const age = now - Date.parse(status.updatedAt);
  if (!status.running || age > 3 * STATUS_REFRESH_MS || !exists(status.pid)) {
    const why = status.running ? `last heard from ${seconds(age)} ago` : `stopped at ${status.updatedAt}`;
    return { ok: false, lines: [`node ${config.nodeId}: not running (${why}, pid ${status.pid})`], status };
  }
  const lines = [`node ${config.nodeId}: running since ${status.startedAt} (pid ${status.pid})`];
  lines.push(status.listening ? `  listening: ${status.listening}` : '  listening: no port (connect-out only)');
  const out = status.connectOut;
  let ok = true;
  if (out === null) {
    lines.push('  connect-out: off');
  } else if (out.state === 'connected') {
    lines.push(`  connect-out: connected to ${out.coordinatorId ?? 'the coordinator'} at ${out.coordinator} since ${out.since} (${out.connections} connection${out.connections === 1 ? '' : 's'} since start)`);
  } else {
    ok = false;
    const retry = out.state === 'retrying' && out.retryInMs !== undefined ? `; dialling again ${seconds(out.retryInMs)} after ${out.since}` : '';
    lines.push(`  connect-out: NOT connected to ${out.coordinator} (${out.state} since ${out.since}, ${out.failures} failed attempt${out.failures === 1 ? '' : 's'}${retry})`);
    if (out.lastError) lines.push(`    last error: ${out.lastError}`);
  }
  return { ok, lines, status };
}
