/**
 * Checks an audit log against its signed checkpoints: the hash chain finds an entry
 * edited in place; a signed head beyond the last entry finds truncation; a signed head
 * whose hash the entry no longer has finds a chain recomputed after an edit.
 */
import { BiospecError } from '@biospec/protocol';
import { checkChain, type AuditRow, type ChainVerification } from './audit-chain.js';
import { verifyCheckpoint, type VerifiedCheckpoint } from './audit-checkpoint.js';
import type { KeyRing } from './keys.js';

/** What went wrong, and from which entry on. */
export interface AuditProblem {
  kind:
    | 'edited'
    | 'truncated'
    | 'rewritten'
    | 'bad-checkpoint'
    | 'other-log'
    | 'head-missing'
    | 'head-unverifiable'
    | 'unanchored';
  /** The first entry concerned, when one can be named. */
  fromSeq?: number;
  message: string;
}

/** The outcome of {@link verifyAuditEvidence}: `ok` when there is no problem. */
export interface AuditVerification {
  ok: boolean;
  /** Entries in the file, and its newest seq (0 when empty). */
  entries: number;
  lastSeq: number;
  chain: ChainVerification;
  /** The newest checkpoint whose signature verifies, and where it was found. */
  head?: VerifiedCheckpoint & { source: 'head file' | 'database' };
  checkpoints: { verified: number; unknownKey: number };
  problems: AuditProblem[];
}

export interface AuditVerifyOptions {
  /** The head file to check against; default the log's own; null: none (the problems then say so). */
  headFile?: string | null;
  /** The log id every checkpoint must carry (the node id, the coordinator id). */
  logId?: string;
}

/** An audit log's evidence, as read from its database and head file. */
export interface AuditEvidence {
  /** The rows in seq order. */
  rows: () => Iterable<AuditRow>;
  /** Every checkpoint token stored in the database. */
  checkpoints: readonly string[];
  /** The head file's path and its token (undefined when the file does not exist). */
  headFile?: string;
  head?: string | undefined;
}

type Classified = { verified: VerifiedCheckpoint } | { unknownKey: true } | { bad: string };

async function classify(token: string, keys: KeyRing): Promise<Classified> {
  try {
    return { verified: await verifyCheckpoint(token, keys) };
  } catch (error) {
    const reason = BiospecError.from(error).message;
    return reason === 'unknown key id' ? { unknownKey: true } : { bad: reason };
  }
}

/**
 * Verifies an audit log's chain and checkpoints with `keys` (its owner's public keys).
 * Checkpoints signed with a key not in `keys` (an older, rotated key) are not used; a
 * checkpoint whose signature fails with a known key is reported as forged.
 */
export async function verifyAuditEvidence(evidence: AuditEvidence, keys: KeyRing, options: AuditVerifyOptions = {}): Promise<AuditVerification> {
  const problems: AuditProblem[] = [];
  const verified: (VerifiedCheckpoint & { source: 'head file' | 'database' })[] = [];
  let unknownKey = 0;

  const sources: [string, 'head file' | 'database'][] = evidence.checkpoints.map((token) => [token, 'database']);
  if (evidence.head !== undefined) sources.push([evidence.head, 'head file']);
  for (const [token, source] of sources) {
    const outcome = await classify(token, keys);
    if ('verified' in outcome) verified.push({ ...outcome.verified, source });
    else if ('unknownKey' in outcome) {
      if (source === 'head file') {
        problems.push({ kind: 'head-unverifiable', message: `the signed head in ${evidence.headFile} is signed with a key not given: pass the log owner's public keys` });
      } else unknownKey += 1;
    } else {
      problems.push({ kind: 'bad-checkpoint', message: `a checkpoint in the ${source} does not verify (${outcome.bad}): it was forged or altered` });
    }
  }
  for (const checkpoint of verified) {
    if (options.logId !== undefined && checkpoint.log !== options.logId) {
      problems.push({ kind: 'other-log', message: `a checkpoint in the ${checkpoint.source} is for log '${checkpoint.log}', not '${options.logId}'` });
    }
  }

  // One pass over the rows: the chain, and the stored hash at each checkpointed seq.
  const wanted = new Set(verified.map((c) => c.seq));
  const storedHash = new Map<number, string>();
  let lastSeq = 0;
  let entries = 0;
  const chain = checkChain(evidence.rows(), (row) => {
    entries += 1;
    lastSeq = Math.max(lastSeq, row.seq);
    if (wanted.has(row.seq)) storedHash.set(row.seq, row.hash);
  });
  if (!chain.ok) {
    problems.push({
      kind: 'edited',
      fromSeq: chain.brokenAt,
      message: `entry ${chain.brokenAt} breaks the hash chain: it or the entry before it was edited, inserted or deleted`,
    });
  }

  const ordered = [...verified].sort((a, b) => a.seq - b.seq);
  const newest = ordered.at(-1);
  if (newest !== undefined && newest.seq > lastSeq) {
    const first = lastSeq + 1;
    problems.push({
      kind: 'truncated',
      fromSeq: first,
      message:
        `truncated from entry ${first} on: the head signed at ${newest.time} (${newest.source}) vouches for ${newest.seq} entries, ` +
        (lastSeq === 0 ? 'the log holds none' : `the log ends at entry ${lastSeq}`) +
        ` (entries ${first} to ${newest.seq} are missing)`,
    });
  }
  const matches = (c: VerifiedCheckpoint) => c.seq === 0 || storedHash.get(c.seq) === c.hash;
  const firstMismatch = ordered.find((c) => c.seq <= lastSeq && !matches(c));
  if (firstMismatch !== undefined) {
    const lastGood = ordered.filter((c) => c.seq < firstMismatch.seq && matches(c)).at(-1)?.seq ?? 0;
    const from = lastGood + 1;
    const where = from === firstMismatch.seq ? `from entry ${from} on` : `from an entry between ${from} and ${firstMismatch.seq} on`;
    problems.push({
      kind: 'rewritten',
      fromSeq: from,
      message:
        `rewritten ${where}: entry ${firstMismatch.seq} no longer has the hash signed at ${firstMismatch.time} (${firstMismatch.source})` +
        (lastGood > 0 ? `; entries up to ${lastGood} still match a signed checkpoint` : ''),
    });
  }

  if (evidence.headFile !== undefined && evidence.head === undefined) {
    problems.push({
      kind: 'head-missing',
      message: `no signed head file ${evidence.headFile}: entries cut off after the newest checkpoint in the database would go unnoticed`,
    });
  }
  if (verified.length === 0 && lastSeq > 0) {
    problems.push({ kind: 'unanchored', message: 'no checkpoint verifies: truncation and rewriting cannot be detected' });
  }

  return {
    ok: problems.length === 0,
    entries,
    lastSeq,
    chain,
    ...(newest === undefined ? {} : { head: newest }),
    checkpoints: { verified: verified.length, unknownKey },
    problems,
  };
}
