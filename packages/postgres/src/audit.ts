import type pg from 'pg';
import { BiospecError } from '@biospec/protocol';
import {
  GENESIS_HASH,
  hashOf,
  peekCheckpoint,
  signCheckpoint,
  verifyAuditEvidence,
  type AuditEntry,
  type AuditInput,
  type AuditRow,
  type AuditSigner,
  type AuditStore,
} from '@biospec/trust';
import { databaseError, inTransaction } from './pool.js';
import { migratePostgres, type PostgresMigration } from './migrate.js';

export const AUDIT_MIGRATIONS_PG: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'hash-chained entries and signed checkpoints of the chain head',
    sql: `CREATE TABLE audit_log (
            seq BIGINT PRIMARY KEY,
            time TEXT NOT NULL,
            kind TEXT NOT NULL,
            actor TEXT,
            subject TEXT,
            outcome TEXT NOT NULL,
            detail TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
          );
          CREATE INDEX audit_log_kind ON audit_log (kind, seq);
          CREATE TABLE audit_checkpoint (seq BIGINT PRIMARY KEY, time TEXT NOT NULL, token TEXT NOT NULL);`,
  },
];

/** Every append and checkpoint holds this transaction lock: the chain has one head, whichever coordinator writes. */
const CHAIN_LOCK = 0x61756474; // 'audt'

interface PgRow extends Omit<AuditRow, 'seq'> {
  seq: string;
}
const rowOf = (row: PgRow): AuditRow => ({ ...row, seq: Number(row.seq) });
const entryOf = (row: AuditRow): AuditEntry => ({
  seq: row.seq,
  time: row.time,
  kind: row.kind,
  ...(row.actor === null ? {} : { actor: row.actor }),
  ...(row.subject === null ? {} : { subject: row.subject }),
  outcome: row.outcome,
  ...(row.detail === null ? {} : { detail: JSON.parse(row.detail) as Record<string, unknown> }),
  prev_hash: row.prev_hash,
  hash: row.hash,
});

export interface PostgresAuditOptions {
  /** Signs checkpoints of the chain head (the coordinator's key, the coordinator id). */
  signer?: AuditSigner;
  /** How often a grown log gets a signed checkpoint, in ms; default 1000; 0: only at `checkpoint()` and close. */
  checkpointEveryMs?: number;
  ownsPool?: boolean;
}

/**
 * The coordinator's audit log in PostgreSQL: the same hash chain and signed checkpoints as the
 * SQLite log (packages/trust/src/audit-log.ts), shared by every coordinator of the network.
 * Appends of one event-loop turn go in one transaction, which takes an advisory lock first, so
 * entries of two coordinators never chain onto the same predecessor. A log that no longer
 * matches its newest signed checkpoint is refused at open, before anything is appended.
 */
export async function createPostgresAuditStore(pool: pg.Pool, options: PostgresAuditOptions = {}): Promise<AuditStore> {
  await migratePostgres(pool, 'audit', AUDIT_MIGRATIONS_PG);
  const head = async (client: pg.PoolClient | pg.Pool) =>
    (await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')).rows[0];

  if (options.signer) await refuseTampered(pool);

  let queued: { input: AuditInput; resolve: (entry: AuditEntry) => void; reject: (reason: unknown) => void }[] = [];
  let flushing: Promise<void> = Promise.resolve();
  const flush = async () => {
    const batch = queued;
    queued = [];
    if (batch.length === 0) return;
    try {
      const entries = await inTransaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
        const previous = await head(client);
        let seq = previous ? Number(previous.seq) : 0;
        let prevHash = previous?.hash ?? GENESIS_HASH;
        const out: AuditEntry[] = [];
        for (const { input } of batch) {
          seq += 1;
          const row: AuditRow = {
            seq,
            time: new Date().toISOString(),
            kind: input.kind,
            actor: input.actor ?? null,
            subject: input.subject ?? null,
            outcome: input.outcome,
            detail: input.detail === undefined ? null : JSON.stringify(input.detail),
            prev_hash: prevHash,
            hash: '',
          };
          row.hash = hashOf(row);
          await client.query(
            'INSERT INTO audit_log (seq, time, kind, actor, subject, outcome, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
            [row.seq, row.time, row.kind, row.actor, row.subject, row.outcome, row.detail, row.prev_hash, row.hash],
          );
          prevHash = row.hash;
          out.push(entryOf(row));
        }
        return out;
      });
      batch.forEach((q, i) => q.resolve(entries[i]!));
    } catch (error) {
      const failure = databaseError(error, 'cannot append to the audit log');
      for (const q of batch) q.reject(failure);
    }
  };

  const signIfGrown = async (signer: AuditSigner): Promise<number> =>
    inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
      const current = await head(client);
      const seq = current ? Number(current.seq) : 0;
      const newest = (await client.query<{ seq: string }>('SELECT seq FROM audit_checkpoint ORDER BY seq DESC LIMIT 1')).rows[0];
      if (newest !== undefined && Number(newest.seq) === seq) return seq;
      const checkpoint = { log: signer.logId, seq, hash: current?.hash ?? GENESIS_HASH, time: new Date().toISOString() };
      await client.query('INSERT INTO audit_checkpoint (seq, time, token) VALUES ($1, $2, $3) ON CONFLICT (seq) DO NOTHING', [
        seq,
        checkpoint.time,
        signCheckpoint(checkpoint, signer.key),
      ]);
      return seq;
    });

  let ticking: Promise<unknown> = Promise.resolve();
  const everyMs = options.checkpointEveryMs ?? 1000;
  const timer =
    options.signer && everyMs > 0
      ? setInterval(() => {
          // A database busy or away must not bring the service down: the next tick tries again.
          ticking = ticking.then(() => signIfGrown(options.signer!)).catch(() => undefined);
        }, everyMs)
      : undefined;
  timer?.unref();
  if (options.signer) await signIfGrown(options.signer);
  let closed = false;

  return {
    record(entry) {
      if (closed) return Promise.reject(new BiospecError('FAILED_PRECONDITION', 'the audit log is closed'));
      if (typeof entry.kind !== 'string' || entry.kind === '' || typeof entry.outcome !== 'string' || entry.outcome === '') {
        return Promise.reject(new BiospecError('INVALID_ARGUMENT', 'an audit entry needs a kind and an outcome'));
      }
      if (queued.length === 0) {
        setImmediate(() => {
          flushing = flushing.then(flush);
        });
      }
      return new Promise((resolve, reject) => queued.push({ input: entry, resolve, reject }));
    },
    async list(listOptions = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (clause: string, value: unknown) => {
        params.push(value);
        where.push(clause.replace('?', `$${params.length}`));
      };
      if (listOptions.kind !== undefined) add('kind = ?', listOptions.kind);
      if (listOptions.sinceSeq !== undefined) add('seq > ?', listOptions.sinceSeq);
      if (listOptions.beforeSeq !== undefined) add('seq < ?', listOptions.beforeSeq);
      let sql = `SELECT * FROM audit_log${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${listOptions.order === 'desc' ? 'DESC' : 'ASC'}`;
      if (listOptions.limit !== undefined) {
        params.push(Math.max(0, Math.floor(listOptions.limit)));
        sql += ` LIMIT $${params.length}`;
      }
      const { rows } = await pool.query<PgRow>(sql, params);
      return rows.map((r) => entryOf(rowOf(r)));
    },
    async size() {
      const { rows } = await pool.query<{ entries: string; last: string | null }>('SELECT count(*) AS entries, max(seq) AS last FROM audit_log');
      return { entries: Number(rows[0]?.entries ?? 0), lastSeq: Number(rows[0]?.last ?? 0) };
    },
    async checkpoint() {
      if (!options.signer) throw new BiospecError('FAILED_PRECONDITION', 'this audit log has no signer');
      await flushing;
      return signIfGrown(options.signer);
    },
    async verify(keys, verifyOptions = {}) {
      const rows = (await pool.query<PgRow>('SELECT * FROM audit_log ORDER BY seq')).rows.map(rowOf);
      const checkpoints = (await pool.query<{ token: string }>('SELECT token FROM audit_checkpoint ORDER BY seq')).rows.map((r) => r.token);
      // No head file: the checkpoints live in the database every coordinator shares.
      return verifyAuditEvidence({ rows: () => rows, checkpoints }, keys, verifyOptions);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      await flush();
      await flushing;
      await ticking;
      if (options.signer) await signIfGrown(options.signer).catch(() => undefined);
      if (options.ownsPool) await pool.end();
    },
  };
}

/** Refuses a log whose newest signed checkpoint vouches for entries it no longer has, or for other hashes. */
async function refuseTampered(pool: pg.Pool): Promise<void> {
  const newest = (await pool.query<{ token: string }>('SELECT token FROM audit_checkpoint ORDER BY seq DESC LIMIT 1')).rows[0];
  if (newest === undefined) return;
  const anchor = peekCheckpoint(newest.token);
  const last = Number((await pool.query<{ last: string | null }>('SELECT max(seq) AS last FROM audit_log')).rows[0]?.last ?? 0);
  const stored = anchor && anchor.seq > 0 ? (await pool.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = $1', [anchor.seq])).rows[0]?.hash : undefined;
  const problem =
    anchor === undefined
      ? 'it cannot be read'
      : anchor.seq > last
        ? `it vouches for ${anchor.seq} entries, the database ends at entry ${last}`
        : anchor.seq > 0 && stored !== anchor.hash
          ? `entry ${anchor.seq} no longer has the hash it vouches for`
          : undefined;
  if (problem === undefined) return;
  throw new BiospecError(
    'FAILED_PRECONDITION',
    `the coordinator's audit log in PostgreSQL does not match its newest signed checkpoint: ${problem}. Nothing is appended to a log that may have been truncated or rewritten: check it with biospec coordinator audit`,
  );
}
