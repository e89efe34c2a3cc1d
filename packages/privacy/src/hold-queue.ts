import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { BiospecError, migrateSchema, ReleasedFigure, Stratum, type SchemaMigration } from '@biospec/protocol';
import type { ProtectedResult } from './protect.js';

/** Where a held question stands. */
export type HoldStatus = 'held' | 'released' | 'declined';

/** A question whose (already protected) answer waits for the steward. */
export interface HoldRequest {
  queryHash: string;
  epoch: number;
  researcher: string;
  project: string;
  purpose: string;
  canonicalQuery: string;
  /** The figures the researcher gets if the steward releases them. */
  released: ProtectedResult;
}

/** A held question with its decision, if any. */
export interface HeldQuestion extends HoldRequest {
  id: string;
  status: HoldStatus;
  /** ISO time the question was first held. */
  heldAt: string;
  /** ISO time of the steward's decision. */
  decidedAt?: string;
  steward?: string;
  /** The steward's reason: always given for a decline, optional for a release. */
  reason?: string;
}

/** The steward's queue of answers held under `release: 'hold'`. */
export interface HoldQueue {
  /** Holds a question; holding the same (queryHash, epoch, researcher) again returns the existing entry unchanged. */
  hold(item: HoldRequest): HeldQuestion;
  find(queryHash: string, epoch: number, researcher: string): HeldQuestion | undefined;
  /** Entries oldest first, optionally only those with one status. */
  list(status?: HoldStatus): HeldQuestion[];
  /**
   * Releases a held question; `reason`, when given, is kept with the decision (it never reaches the researcher).
   * @throws BiospecError NOT_FOUND for an unknown id, FAILED_PRECONDITION unless it is still held.
   */
  release(id: string, steward: string, reason?: string): HeldQuestion;
  /** @throws BiospecError NOT_FOUND, FAILED_PRECONDITION as {@link release}; INVALID_ARGUMENT without a reason. */
  decline(id: string, steward: string, reason: string): HeldQuestion;
  close(): void;
}

/** Options of {@link createHoldQueue}. */
export interface HoldQueueInit {
  /** Clock for timestamps (default: the system clock). */
  now?: () => Date;
}

interface Row {
  id: string;
  query_hash: string;
  epoch: number;
  researcher: string;
  project: string;
  purpose: string;
  canonical_query: string;
  released_json: string;
  status: HoldStatus;
  held_at: string;
  decided_at: string | null;
  steward: string | null;
  reason: string | null;
}

/**
 * The hold queue's schema history. Version 1 is the table as it was before versions
 * were kept (IF NOT EXISTS, so a file made then is adopted as version 1 unchanged).
 */
export const HOLD_QUEUE_MIGRATIONS: readonly SchemaMigration<Database.Database>[] = [
  {
    version: 1,
    description: "held questions with their protected answers and the steward's decision",
    up: (db) =>
      db.exec(`
      CREATE TABLE IF NOT EXISTS held_questions (
        id              TEXT    PRIMARY KEY,
        query_hash      TEXT    NOT NULL,
        epoch           INTEGER NOT NULL,
        researcher      TEXT    NOT NULL,
        project         TEXT    NOT NULL,
        purpose         TEXT    NOT NULL,
        canonical_query TEXT    NOT NULL,
        released_json   TEXT    NOT NULL,
        status          TEXT    NOT NULL CHECK (status IN ('held', 'released', 'declined')),
        held_at         TEXT    NOT NULL,
        decided_at      TEXT,
        steward         TEXT,
        reason          TEXT,
        UNIQUE (query_hash, epoch, researcher)
      );
      CREATE INDEX IF NOT EXISTS held_questions_status ON held_questions (status, held_at);
      `),
  },
];

/** Opens (creating if needed) a hold queue in a SQLite file, or in memory. */
export function createHoldQueue(path: string | ':memory:', init: HoldQueueInit = {}): HoldQueue {
  const now = init.now ?? (() => new Date());
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  migrateSchema(db, HOLD_QUEUE_MIGRATIONS, 'hold queue');

  const insert = db.prepare(
    `INSERT INTO held_questions (id, query_hash, epoch, researcher, project, purpose, canonical_query, released_json, status, held_at)
     VALUES (@id, @queryHash, @epoch, @researcher, @project, @purpose, @canonicalQuery, @releasedJson, 'held', @heldAt)
     ON CONFLICT (query_hash, epoch, researcher) DO NOTHING`,
  );
  const byQuestion = db.prepare<[string, number, string], Row>(
    'SELECT * FROM held_questions WHERE query_hash = ? AND epoch = ? AND researcher = ?',
  );
  const byId = db.prepare<[string], Row>('SELECT * FROM held_questions WHERE id = ?');
  const all = db.prepare<[], Row>('SELECT * FROM held_questions ORDER BY held_at, rowid');
  const withStatus = db.prepare<[HoldStatus], Row>('SELECT * FROM held_questions WHERE status = ? ORDER BY held_at, rowid');
  const decide = db.prepare(
    `UPDATE held_questions SET status = @status, decided_at = @decidedAt, steward = @steward, reason = @reason
     WHERE id = @id AND status = 'held'`,
  );

  const decideTx = db.transaction((id: string, status: HoldStatus, steward: string, reason: string | null) => {
    const row = byId.get(id);
    if (row === undefined) throw new BiospecError('NOT_FOUND', `no held question ${id}`);
    if (row.status !== 'held') {
      throw new BiospecError('FAILED_PRECONDITION', `question ${id} is already ${row.status}`);
    }
    decide.run({ id, status, decidedAt: now().toISOString(), steward, reason });
    return fromRow(byId.get(id) as Row);
  });

  return {
    hold(item) {
      insert.run({
        id: randomUUID(),
        queryHash: item.queryHash,
        epoch: item.epoch,
        researcher: item.researcher,
        project: item.project,
        purpose: item.purpose,
        canonicalQuery: item.canonicalQuery,
        releasedJson: JSON.stringify({
          total: ReleasedFigure.toJSON(item.released.total),
          strata: item.released.strata.map((s) => Stratum.toJSON(s)),
        }),
        heldAt: now().toISOString(),
      });
      return fromRow(byQuestion.get(item.queryHash, item.epoch, item.researcher) as Row);
    },
    find(queryHash, epoch, researcher) {
      const row = byQuestion.get(queryHash, epoch, researcher);
      return row === undefined ? undefined : fromRow(row);
    },
    list(status) {
      return (status === undefined ? all.all() : withStatus.all(status)).map(fromRow);
    },
    release(id, steward, reason) {
      requireText(steward, 'steward');
      return decideTx.immediate(id, 'released', steward, reason === undefined || reason.trim() === '' ? null : reason);
    },
    decline(id, steward, reason) {
      requireText(steward, 'steward');
      requireText(reason, 'reason');
      return decideTx.immediate(id, 'declined', steward, reason);
    },
    close() {
      db.close();
    },
  };
}

function requireText(value: string, field: string): void {
  if (value.trim() === '') {
    throw new BiospecError('INVALID_ARGUMENT', `${field} must not be empty`, { issues: [{ field, message: 'empty' }] });
  }
}

function fromRow(row: Row): HeldQuestion {
  const stored = JSON.parse(row.released_json) as { total: unknown; strata: unknown[] };
  const question: HeldQuestion = {
    id: row.id,
    queryHash: row.query_hash,
    epoch: row.epoch,
    researcher: row.researcher,
    project: row.project,
    purpose: row.purpose,
    canonicalQuery: row.canonical_query,
    released: {
      total: ReleasedFigure.fromJSON(stored.total),
      strata: stored.strata.map((s) => Stratum.fromJSON(s)),
    },
    status: row.status,
    heldAt: row.held_at,
  };
  if (row.decided_at !== null) question.decidedAt = row.decided_at;
  if (row.steward !== null) question.steward = row.steward;
  if (row.reason !== null) question.reason = row.reason;
  return question;
}
