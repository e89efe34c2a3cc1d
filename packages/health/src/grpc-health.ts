import type { HealthImplementation } from 'grpc-health-check';
import type { Readiness } from './readiness.js';

/**
 * Keeps a gRPC health service in step with readiness: the empty service name (the
 * whole server) and every named service are SERVING exactly when the service is
 * ready, NOT_SERVING otherwise. Watchers are told each change.
 */
export function bindGrpcHealth(health: HealthImplementation, services: readonly string[], readiness: Readiness): { shutdown(): void } {
  let stopped = false;
  const set = (ready: boolean) => {
    if (stopped) return;
    for (const service of ['', ...services]) health.setStatus(service, ready ? 'SERVING' : 'NOT_SERVING');
  };
  set(readiness.report().ready);
  readiness.onChange((report) => set(report.ready));
  return {
    /** Everything NOT_SERVING from now on: the server is going away. */
    shutdown() {
      for (const service of ['', ...services]) health.setStatus(service, 'NOT_SERVING');
      stopped = true;
    },
  };
}

/** The initial statuses for `new HealthImplementation(...)`: NOT_SERVING until readiness says otherwise. */
export function initialHealthStatuses(services: readonly string[]): Record<string, 'NOT_SERVING'> {
  return Object.fromEntries(['', ...services].map((s) => [s, 'NOT_SERVING' as const]));
}
