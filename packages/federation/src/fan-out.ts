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

/**
 * Calls every site concurrently and settles at the deadline at the latest.
 * A call still running then is reported as a timeout even if its client
 * ignores the deadline (for example while a connection attempt hangs).
 */
export async function fanOut<S, T>(
  sites: readonly S[],
  call: (site: S, deadline: Date) => Promise<T>,
  options: FanOutOptions,
): Promise<SiteOutcome<S, T>[]> {
  const now = options.now ?? Date.now;
  const started = now();
  const remaining = Math.max(0, options.deadline.getTime() - started);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), remaining + 25);
  });

  const outcomes = sites.map(async (site): Promise<SiteOutcome<S, T>> => {
    const attempt = call(site, options.deadline).then(
      (value) => ({ site, ok: true as const, value, latencyMs: now() - started }),
      (reason: unknown) => ({ site, ok: false as const, failure: siteFailureOf(reason), latencyMs: now() - started }),
    );
    const settled = await Promise.race([attempt, expired]);
    if (settled !== 'expired') return settled;
    return {
      site,
      ok: false,
      failure: { status: SiteStatus.SITE_STATUS_TIMEOUT, message: 'no answer within the deadline' },
      latencyMs: now() - started,
    };
  });
  try {
    return await Promise.all(outcomes);
  } finally {
    clearTimeout(timer);
  }
}
