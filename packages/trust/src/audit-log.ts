import { createHash } from 'node:crypto';
import { BiospecError } from '@biospec/protocol';
import { canonicalJson } from '@biospec/query';
import Database from 'better-sqlite3';

/** `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a caller records. */
export interface AuditInput {
  kind: string;
  actor?: string;
  subject?: string;
  outcome: string;
  detail?: Record<string, unknown>;
}

/** One recorded entry, chained to the one before it. */
export interface AuditEntry extends AuditInput {
  seq: number;
  /** ISO 8601 time of recording. */
  time: string;
  prev_hash: string;
  /** sha256(prev_hash + canonical JSON of the entry's fields), hex. */
  hash: string;
}

export interface AuditListOptions {
  kind?: string;
  /** Most entries returned; default all. */
  limit?: number;
  /** Only entries with a greater seq. */
  sinceSeq?: number;
}

export type ChainVerification = { ok: true; entries: number } | { ok: false; brokenAt: number };

/**
 * An append-only, hash-chained log. Editing, inserting or deleting any row but
 * the last ones breaks the chain; cutting off the tail is only detectable
 * against a hash kept elsewhere (the latest `hash` is that anchor).
 */
export interface AuditLog {
  append(entry: AuditInput): AuditEntry;
  /**
   * Appends `entry` in one transaction with every other entry recorded in the same
   * turn of the event loop, and resolves once that transaction has committed. A busy
   * node answering many queries at once then pays one commit per turn, not one per query.
   */
  record(entry: AuditInput): Promise<AuditEntry>;
  /** Entries in seq order. */
  list(options?: AuditListOptions): AuditEntry[];
  /** Recomputes every hash and link; reports the first seq that does not hold. */
  verifyChain(): ChainVerification;
  close(): void;
}

interface Row {
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

/** Opens (or creates) the audit log in SQLite at `path`. */
export function createAuditLog(path: string): AuditLog {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // Survives process crashes and restarts; only a power failure can lose the last commits,
  // and an fsync on every query would otherwise dominate a node's answer time.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    subject TEXT,
    outcome TEXT NOT NULL,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  )`);
  db.exec('CREATE INDEX IF NOT EXISTS audit_log_kind ON audit_log (kind, seq)');

  const last = db.prepare<[], Pick<Row, 'seq' | 'hash'>>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare<Row>(
    `INSERT INTO audit_log (seq, time, kind, actor, subject, outcome, detail, prev_hash, hash)
     VALUES (@seq, @time, @kind, @actor, @subject, @outcome, @detail, @prev_hash, @hash)`,
  );
  const all = db.prepare<[], Row>('SELECT * FROM audit_log ORDER BY seq');

  // IMMEDIATE: two processes appending at once must not both chain onto the same predecessor.
  const appendAll = db.transaction((inputs: readonly AuditInput[]): AuditEntry[] => {
    const previous = last.get();
    let seq = previous?.seq ?? 0;
    let prevHash = previous?.hash ?? GENESIS_HASH;
    return inputs.map((input) => {
      seq += 1;
      const row: Row = {
        seq,
        time: new Date().toISOString(),
        kind: input.kind,
        actor: input.actor ?? null,
        subject: input.subject ?? null,
        outcome: input.outcome,
        // Stored and hashed as JSON, so the hash still holds for what is read back.
        detail: input.detail === undefined ? null : JSON.stringify(input.detail),
        prev_hash: prevHash,
        hash: '',
      };
      row.hash = hashOf(row);
      insert.run(row);
      prevHash = row.hash;
      return entryOf(row);
    });
  });

  let queued: { input: AuditInput; resolve: (entry: AuditEntry) => void; reject: (reason: unknown) => void }[] = [];
  const flush = () => {
    const batch = queued;
    queued = [];
    if (batch.length === 0) return;
    try {
      const entries = appendAll.immediate(batch.map((q) => q.input));
      batch.forEach((q, i) => q.resolve(entries[i]!));
    } catch (reason) {
      for (const q of batch) q.reject(reason);
    }
  };

  return {
    append(entry) {
      checkEntry(entry);
      return appendAll.immediate([entry])[0]!;
    },
    record(entry) {
      checkEntry(entry);
      if (queued.length === 0) setImmediate(flush);
      return new Promise((resolve, reject) => queued.push({ input: entry, resolve, reject }));
    },
    list(options = {}) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (options.kind !== undefined) {
        where.push('kind = ?');
        params.push(options.kind);
      }
      if (options.sinceSeq !== undefined) {
        where.push('seq > ?');
        params.push(options.sinceSeq);
      }
      const limit = options.limit === undefined ? '' : ' LIMIT ?';
      if (options.limit !== undefined) params.push(Math.max(0, Math.floor(options.limit)));
      const sql = `SELECT * FROM audit_log${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq${limit}`;
      return db.prepare<(string | number)[], Row>(sql).all(...params).map(entryOf);
    },
    verifyChain() {
      let prevHash = GENESIS_HASH;
      let expectedSeq = 1;
      let entries = 0;
      for (const row of all.iterate()) {
        if (row.seq !== expectedSeq || row.prev_hash !== prevHash || row.hash !== hashOf(row)) {
          return { ok: false, brokenAt: row.seq };
        }
        prevHash = row.hash;
        expectedSeq += 1;
        entries += 1;
      }
      return { ok: true, entries };
    },
    close() {
      flush();
      db.close();
    },
  };
}

function checkEntry(entry: AuditInput): void {
  if (typeof entry.kind !== 'string' || entry.kind === '' || typeof entry.outcome !== 'string' || entry.outcome === '') {
    throw new BiospecError('INVALID_ARGUMENT', 'an audit entry needs a kind and an outcome', {
      issues: [{ field: entry.kind ? 'outcome' : 'kind', message: 'required' }],
    });
  }
}

/** The hash covers every stored field but itself, in canonical JSON, after the previous hash. */
function hashOf(row: Row): string {
  const { hash: _ignored, detail, ...fields } = row;
  const content = canonicalJson({ ...fields, detail: detail === null ? null : (JSON.parse(detail) as unknown) });
  return createHash('sha256').update(row.prev_hash).update(content).digest('hex');
}

function entryOf(row: Row): AuditEntry {
  return {
    seq: row.seq,
    time: row.time,
    kind: row.kind,
    ...(row.actor === null ? {} : { actor: row.actor }),
    ...(row.subject === null ? {} : { subject: row.subject }),
    outcome: row.outcome,
    ...(row.detail === null ? {} : { detail: JSON.parse(row.detail) as Record<string, unknown> }),
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

