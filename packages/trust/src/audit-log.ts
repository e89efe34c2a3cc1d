import fs from 'node:fs';
import { assertKnownSchema, BiospecError, migrateSchema, type SchemaMigration } from '@biospec/protocol';
import Database from 'better-sqlite3';
import { checkChain, GENESIS_HASH, hashOf, type AuditRow, type ChainVerification } from './audit-chain.js';
import {
  defaultHeadFile,
  peekCheckpoint,
  readHeadFile,
  signCheckpoint,
  writeHeadFile,
  writeHeadFileSync,
  type AuditCheckpoint,
} from './audit-checkpoint.js';
import { verifyAuditEvidence, type AuditVerification, type AuditVerifyOptions } from './audit-verify.js';
import type { KeyRing, SigningKey } from './keys.js';

export { GENESIS_HASH, type ChainVerification } from './audit-chain.js';

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
  /** Only entries with a smaller seq (paging back from the newest). */
  beforeSeq?: number;
  /** `asc` (default): oldest first; `desc`: newest first. */
  order?: 'asc' | 'desc';
}

/** Who signs the log's checkpoints: the owner's key and the name its checkpoints give the log. */
export interface AuditSigner {
  key: SigningKey;
  /** The node id, or the coordinator id. */
  logId: string;
}

export interface AuditLogOptions {
  /**
   * Signs checkpoints of the chain head, stores them in the database and keeps the
   * newest in the head file. Without it the log is written and read unanchored
   * (for tools that only read it).
   */
  signer?: AuditSigner;
  /** The file holding the newest signed head; default `<database>.head`. */
  headFile?: string;
  /** How often a grown log gets a new signed checkpoint, in ms; default 1000. 0: only at `checkpoint()` and close. */
  checkpointEveryMs?: number;
  /** Opens an existing file without changing it (no migration, no checkpoint): to verify a copy. */
  readonly?: boolean;
}

/**
 * An append-only, hash-chained log. Editing, inserting or deleting any row but
 * the last ones breaks the chain. Cutting off the tail, or recomputing the chain
 * after an edit, is caught against the signed checkpoints of the chain head
 * (in the database, and the newest also in a file beside it).
 */
export interface AuditLog {
  append(entry: AuditInput): AuditEntry;
  /**
   * Appends `entry` in one transaction with every other entry recorded in the same
   * turn of the event loop, and resolves once that transaction has committed. A busy
   * node answering many queries at once then pays one commit per turn, not one per query.
   */
  record(entry: AuditInput): Promise<AuditEntry>;
  /** Entries in seq order (see {@link AuditListOptions.order}). */
  list(options?: AuditListOptions): AuditEntry[];
  /** How many entries the log holds, and the newest seq (0 when empty). */
  size(): { entries: number; lastSeq: number };
  /** Recomputes every hash and link; reports the first seq that does not hold. */
  verifyChain(): ChainVerification;
  /**
   * Signs a checkpoint of the current head if the log grew since the last one, and
   * writes the newest to the head file. Needs a signer. Returns the newest checkpoint.
   */
  checkpoint(): AuditCheckpoint;
  /**
   * Checks the chain and every signed checkpoint against `keys`, and reports edits,
   * truncation and rewriting with the entry where each starts.
   */
  verify(keys: KeyRing, options?: AuditVerifyOptions): Promise<AuditVerification>;
  /** Writes what is queued, signs a last checkpoint (with a signer) and closes the file. */
  close(): void;
  /**
   * Resolves once no periodic head write is in flight: one started before `close` finishes (or
   * removes its temporary file) first. A service awaits this before it says it has stopped, so
   * nothing writes into its folder afterwards.
   */
  idle(): Promise<void>;
}

const V1 = `
  CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    subject TEXT,
    outcome TEXT NOT NULL,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS audit_log_kind ON audit_log (kind, seq);
`;

/**
 * The audit log's schema history. Version 1 is the table as it was before versions
 * were kept (IF NOT EXISTS, so a file made then is adopted as version 1 unchanged).
 */
export const AUDIT_LOG_MIGRATIONS: readonly SchemaMigration<Database.Database>[] = [
  { version: 1, description: 'hash-chained entries', up: (db) => db.exec(V1) },
  {
    version: 2,
    description: 'signed checkpoints of the chain head',
    up: (db) => db.exec('CREATE TABLE audit_checkpoint (seq INTEGER PRIMARY KEY, time TEXT NOT NULL, token TEXT NOT NULL)'),
  },
];

const DEFAULT_CHECKPOINT_EVERY_MS = 1000;

/** Opens (or creates) the audit log in SQLite at `path`. */
export function createAuditLog(path: string, options: AuditLogOptions = {}): AuditLog {
  const headFile = options.headFile ?? defaultHeadFile(path);
  if (options.readonly && !fs.existsSync(path)) throw new BiospecError('NOT_FOUND', `no audit log at ${path}`);
  const db = options.readonly ? new Database(path, { readonly: true, fileMustExist: true }) : new Database(path);
  db.pragma('busy_timeout = 5000');
  if (options.readonly) {
    assertKnownSchema(db, AUDIT_LOG_MIGRATIONS.length, 'audit log');
  } else {
    db.pragma('journal_mode = WAL');
    // Survives process crashes and restarts; only a power failure can lose the last commits,
    // and an fsync on every query would otherwise dominate a node's answer time.
    db.pragma('synchronous = NORMAL');
    migrateSchema(db, AUDIT_LOG_MIGRATIONS, 'audit log');
  }
  const hasTable = (name: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  if (!hasTable('audit_log')) {
    db.close();
    throw new BiospecError('FAILED_PRECONDITION', `${path} is not an audit log`);
  }
  // A copy made before checkpoints existed (schema version 1) has none to read.
  const checkpointTokens = hasTable('audit_checkpoint')
    ? db.prepare<[], { token: string }>('SELECT token FROM audit_checkpoint ORDER BY seq')
    : undefined;

  const last = db.prepare<[], Pick<AuditRow, 'seq' | 'hash'>>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare<AuditRow>(
    `INSERT INTO audit_log (seq, time, kind, actor, subject, outcome, detail, prev_hash, hash)
     VALUES (@seq, @time, @kind, @actor, @subject, @outcome, @detail, @prev_hash, @hash)`,
  );
  const all = db.prepare<[], AuditRow>('SELECT * FROM audit_log ORDER BY seq');
  const sizeOf = db.prepare<[], { entries: number; lastSeq: number | null }>('SELECT count(*) AS entries, max(seq) AS lastSeq FROM audit_log');
  const hashAt = db.prepare<[number], Pick<AuditRow, 'hash'>>('SELECT hash FROM audit_log WHERE seq = ?');

  // IMMEDIATE: two processes appending at once must not both chain onto the same predecessor.
  const appendAll = db.transaction((inputs: readonly AuditInput[]): AuditEntry[] => {
    const previous = last.get();
    let seq = previous?.seq ?? 0;
    let prevHash = previous?.hash ?? GENESIS_HASH;
    return inputs.map((input) => {
      seq += 1;
      const row: AuditRow = {
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

  /**
   * The head file (or, without one, the newest checkpoint in the database) must still
   * describe this database before a signer adds to it: otherwise the next checkpoint
   * would vouch for a truncated or rewritten log, and overwrite the evidence.
   */
  function refuseTamperedHead(): void {
    const token = readHeadFile(headFile) ?? checkpointTokens?.all().at(-1)?.token;
    if (token === undefined) return;
    const anchor = peekCheckpoint(token);
    const lastSeq = sizeOf.get()?.lastSeq ?? 0;
    const problem =
      anchor === undefined
        ? 'it cannot be read'
        : anchor.seq > lastSeq
          ? `it vouches for ${anchor.seq} entries, the database ends at entry ${lastSeq}`
          : anchor.seq > 0 && hashAt.get(anchor.seq)?.hash !== anchor.hash
            ? `entry ${anchor.seq} no longer has the hash it vouches for`
            : undefined;
    if (problem === undefined) return;
    db.close();
    throw new BiospecError(
      'FAILED_PRECONDITION',
      `audit log ${path} does not match its signed head ${headFile}: ${problem}. ` +
        'Nothing is appended to a log that may have been truncated or rewritten: check it with the audit command; ' +
        `to go on anyway, move ${headFile} aside and keep it as evidence`,
    );
  }

  function createCheckpointing(owner: AuditSigner) {
    const newest = db.prepare<[], { seq: number; token: string }>('SELECT seq, token FROM audit_checkpoint ORDER BY seq DESC LIMIT 1');
    const insertCheckpoint = db.prepare('INSERT OR IGNORE INTO audit_checkpoint (seq, time, token) VALUES (?, ?, ?)');
    // IMMEDIATE: the head signed is the head committed, whichever process appended it.
    const signIfGrown = db.transaction((): string => {
      const head = last.get();
      const seq = head?.seq ?? 0;
      const current = newest.get();
      if (current !== undefined && current.seq === seq) return current.token;
      const checkpoint: AuditCheckpoint = { log: owner.logId, seq, hash: head?.hash ?? GENESIS_HASH, time: new Date().toISOString() };
      const token = signCheckpoint(checkpoint, owner.key);
      insertCheckpoint.run(seq, checkpoint.time, token);
      return token;
    });
    let written: string | undefined;
    let writing: Promise<void> | undefined;
    let stopped = false;
    const everyMs = options.checkpointEveryMs ?? DEFAULT_CHECKPOINT_EVERY_MS;
    const tick = () => {
      if (writing !== undefined) return;
      let token: string;
      try {
        token = signIfGrown.immediate();
      } catch {
        // A database busy beyond its timeout must not bring the service down: the next tick tries again.
        return;
      }
      if (token === written) return;
      // Written off the main thread; a failed write is retried on the next tick, and close() writes the last head itself.
      writing = writeHeadFile(headFile, token)
        .then(() => {
          if (!stopped) written = token;
        })
        .catch(() => undefined)
        .finally(() => {
          writing = undefined;
        });
    };
    const timer = everyMs > 0 ? setInterval(tick, everyMs) : undefined;
    timer?.unref();
    return {
      now(): string {
        const token = signIfGrown.immediate();
        if (token !== written) {
          writeHeadFileSync(headFile, token);
          written = token;
        }
        return token;
      },
      stop() {
        stopped = true;
        if (timer !== undefined) clearInterval(timer);
      },
      idle: async () => {
        await writing;
      },
    };
  }

  const signer = options.readonly ? undefined : options.signer;
  if (signer !== undefined) refuseTamperedHead();
  const checkpointing = signer === undefined ? undefined : createCheckpointing(signer);
  checkpointing?.now();

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
    list(listOptions = {}) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (listOptions.kind !== undefined) {
        where.push('kind = ?');
        params.push(listOptions.kind);
      }
      if (listOptions.sinceSeq !== undefined) {
        where.push('seq > ?');
        params.push(listOptions.sinceSeq);
      }
      if (listOptions.beforeSeq !== undefined) {
        where.push('seq < ?');
        params.push(listOptions.beforeSeq);
      }
      const limit = listOptions.limit === undefined ? '' : ' LIMIT ?';
      if (listOptions.limit !== undefined) params.push(Math.max(0, Math.floor(listOptions.limit)));
      const order = listOptions.order === 'desc' ? 'DESC' : 'ASC';
      const sql = `SELECT * FROM audit_log${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${order}${limit}`;
      return db.prepare<(string | number)[], AuditRow>(sql).all(...params).map(entryOf);
    },
    size() {
      const size = sizeOf.get();
      return { entries: size?.entries ?? 0, lastSeq: size?.lastSeq ?? 0 };
    },
    verifyChain: () => checkChain(all.iterate()),
    checkpoint() {
      if (checkpointing === undefined) throw new BiospecError('FAILED_PRECONDITION', 'this audit log has no signer');
      return peekCheckpoint(checkpointing.now())!;
    },
    verify(keys, verifyOptions = {}) {
      const file = verifyOptions.headFile === null ? undefined : (verifyOptions.headFile ?? headFile);
      return verifyAuditEvidence(
        {
          rows: () => all.iterate(),
          checkpoints: checkpointTokens?.all().map((c) => c.token) ?? [],
          ...(file === undefined ? {} : { headFile: file, head: readHeadFile(file) }),
        },
        keys,
        verifyOptions,
      );
    },
    close() {
      if (!db.open) return;
      flush();
      checkpointing?.stop();
      checkpointing?.now();
      db.close();
    },
    idle: async () => {
      await checkpointing?.idle();
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

function entryOf(row: AuditRow): AuditEntry {
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
