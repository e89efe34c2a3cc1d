import type { Catalogue } from '@biospec/catalogue';
import type { IndexState } from './metrics.js';

/** The count index's state as the node's metrics show it, from the catalogue's own status. */
export function indexStateOf(catalogue: Pick<Catalogue, 'status'>): IndexState {
  const status = catalogue.status();
  return { state: status.state, ...(status.serving ? { buildSeconds: status.serving.ms / 1000 } : {}) };
}

/**
 * Whether counts can be answered from a count index now: one answers (the current epoch's, or
 * an older one while the new one builds after an import), or the index is off by configuration.
 * A node starting up is not ready until its first index is; its readiness does not flap
 * with every import.
 */
export function indexProblem(catalogue: Pick<Catalogue, 'status'>): string | undefined {
  const status = catalogue.status();
  if (status.state === 'ready' || status.state === 'off' || status.serving !== null) return undefined;
  return status.state === 'failed' ? `count index build failed: ${status.cause ?? 'unknown cause'}` : 'count index warming up';
}
