import { NodeServiceClient } from '@biospec/protocol';
import { credentials } from '@grpc/grpc-js';
import { createNodeCountClient, siteFailureOf, type NodeCountClient, type SiteFailure } from '@biospec/federation';
import { signQuery, type SigningKey } from '@biospec/trust';
import type { Query } from '@biospec/query';

/** Polls `condition` until it holds; fails with `what` after `timeoutMs` (generous: conditions, not timing luck). */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Holds every count `catalogue` is asked for until `release()`: with one admission slot, the first
 * question occupies it and the rest wait in the node's queue for as long as the test decides, so a
 * test sets up a queue without racing the node's speed. A stub at the count pipeline's boundary only.
 */
export function holdCounts(catalogue: { count(...args: never[]): Promise<unknown> }): { release(): void } {
  const count = catalogue.count.bind(catalogue) as (...args: never[]) => Promise<unknown>;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  catalogue.count = async (...args: never[]) => {
    await gate;
    return count(...args);
  };
  return {
    release() {
      catalogue.count = count;
      release();
    },
  };
}

/** Resolves after `ms` on the timer queue (for waiting out a deadline the test computed, not for luck). */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** `n` signed tokens for node `audience`, each a fresh `jti`, as the coordinator would sign them. */
export function signMany(key: SigningKey, audience: string, n: number, query: Query = { unit: 'specimens' }): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, () =>
      signQuery({ query, purpose: 'DUO:0000006', researcher: 'r-load-test', project: 'load', audience, issuer: 'coordinator' }, key),
    ),
  );
}

/** How one query ended, with the site status the coordinator would report, and when. */
export type Outcome = { ok: true; ms: number } | { ok: false; failure: SiteFailure; ms: number };

export function outcomeOf(answer: Promise<unknown>): Promise<Outcome> {
  const started = Date.now();
  return answer.then(
    () => ({ ok: true as const, ms: Date.now() - started }),
    (reason: unknown) => ({ ok: false as const, failure: siteFailureOf(reason), ms: Date.now() - started }),
  );
}

/** The coordinator's client for one node (one long-lived CountStream), on its own channel. */
export function nodeCounts(address: string): { counts: NodeCountClient; close(): void } {
  const client = new NodeServiceClient(address, credentials.createInsecure());
  const counts = createNodeCountClient(client);
  return {
    counts,
    close() {
      counts.close();
      client.close();
    },
  };
}
