import { SiteStatus } from '@biospec/protocol';
import { siteFailureOf, type SiteFailure } from './site-status.js';

/** One site's outcome: the value when the call succeeded, otherwise its failure. */
export type SiteOutcome<S, T> =
  | { site: S; ok: true; value: T; latencyMs: number }
  | { site: S; ok: false; failure: SiteFailure; latencyMs: number };

export interface FanOutOptions {
  /** Every call gets this absolute deadline; the fan-out itself never waits past it. */
  deadline: Date;
  now?: () => number;
}

const TIMED_OUT: SiteFailure = { status: SiteStatus.SITE_STATUS_TIMEOUT, message: 'no answer within the deadline' };

/**
 * Calls every site concurrently and settles at the deadline at the latest.
 * A call still running then is reported as a timeout even if its client
 * ignores the deadline (for example while a connection attempt hangs); so is
 * one that throws before returning its promise, as the failure of its own site.
 * One timer serves every site, and outcomes are written into place as they
 * come: a thousand members cost no race or extra promise each.
 */
export function fanOut<S, T>(sites: readonly S[], call: (site: S, deadline: Date) => Promise<T>, options: FanOutOptions): Promise<SiteOutcome<S, T>[]> {
  const now = options.now ?? Date.now;
  const started = now();
  const outcomes = new Array<SiteOutcome<S, T> | undefined>(sites.length);
  let waiting = sites.length;
  return new Promise((resolve) => {
    if (waiting === 0) {
      resolve([]);
      return;
    }
    let settled = false;
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      resolve(sites.map((site, i) => outcomes[i] ?? { site, ok: false, failure: { ...TIMED_OUT }, latencyMs: now() - started }));
    };
    const timer = setTimeout(finish, Math.max(0, options.deadline.getTime() - started) + 25);
    const record = (i: number, outcome: SiteOutcome<S, T>) => {
      if (settled) return;
      outcomes[i] = outcome;
      waiting -= 1;
      if (waiting === 0) finish();
    };
    sites.forEach((site, i) => {
      let attempt: Promise<T>;
      try {
        attempt = call(site, options.deadline);
      } catch (reason) {
        attempt = Promise.reject(reason);
      }
      attempt.then(
        (value) => record(i, { site, ok: true, value, latencyMs: now() - started }),
        (reason: unknown) => record(i, { site, ok: false, failure: siteFailureOf(reason), latencyMs: now() - started }),
      );
    });
  });
}
