/** The hash chain of an audit log: how each entry's hash is made and checked. */
import { createHash } from 'node:crypto';
import { canonicalJson } from '@biospec/query';

/** `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export type ChainVerification = { ok: true; entries: number } | { ok: false; brokenAt: number };

/** An entry as stored. */
export interface AuditRow {
  seq: number;
  time: string;
  kind: string;
  actor: string | null;
  subject: string | null;
  outcome: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

/**
 * The hash covers every stored field but itself, in canonical JSON, after the previous hash.
 * A detail that is no longer JSON (edited by hand) cannot have been hashed: it hashes to nothing.
 */
export function hashOf(row: AuditRow): string {
  const { hash: _ignored, detail, ...fields } = row;
  let parsedDetail: unknown = null;
  try {
    parsedDetail = detail === null ? null : (JSON.parse(detail) as unknown);
  } catch {
    return '';
  }
  const content = canonicalJson({ ...fields, detail: parsedDetail });
  return createHash('sha256').update(row.prev_hash).update(content).digest('hex');
}

/** Walks the rows in seq order and reports the first that breaks the chain. */
export function checkChain(rows: Iterable<AuditRow>, onRow?: (row: AuditRow) => void): ChainVerification {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let entries = 0;
  let brokenAt: number | undefined;
  for (const row of rows) {
    onRow?.(row);
    entries += 1;
    if (brokenAt !== undefined) continue;
    if (row.seq !== expectedSeq || row.prev_hash !== prevHash || row.hash !== hashOf(row)) brokenAt = row.seq;
    prevHash = row.hash;
    expectedSeq += 1;
  }
  return brokenAt === undefined ? { ok: true, entries } : { ok: false, brokenAt };
}

