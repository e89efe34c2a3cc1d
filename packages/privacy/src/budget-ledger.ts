import Database from 'better-sqlite3';
import { BiospecError } from '@biospec/protocol';
import type { PrivacyBudget } from './policy.js';

/** One question to charge: who asks, what, on which data, under which noise generation. */
export interface BudgetCharge {
  /** The person asking (the coordinator's pseudonym of its researcher record). */
  person: string;
  queryHash: string;
  epoch: number;
  /** The node's noise generation (`noiseGeneration`): a repeat is free only under the same one. */
  generation: string;
  /** ε the question costs, from the question alone (`planQuestion`). */
  epsilon: number;
  now: Date;
  /** Recorded for the steward; never part of whose budget it is. */
  project?: string;
}

/** Where one person's budget stands at `now`. */
export interface BudgetStatus {
  /** ε charged over the last `windowDays` days. */
  spent: number;
  /** ε left, never negative. */
  remaining: number;
  /** When the oldest charge in the window expires and gives its ε back; null when nothing is spent. */
  renewsAt: string | null;
}

/** The outcome of a charge: what this question cost and where the budget stands after it. */
export interface ChargeResult extends BudgetStatus {
  /** ε charged now: the question's cost, or 0 for a repeat. */
  charged: number;
}

/** A node's persistent record of privacy budget spent per person. */
export interface BudgetLedger {
  /**
   * Charges a question to its person's budget, before anything is counted.
   *
   * The same question (person, query hash, data epoch, noise generation) asked
   * again costs nothing, whenever: the noise is deterministic, so the repeat
   * gets the same figures and learns nothing new. The repeat check, the sum
   * over the window and the record happen in one immediate transaction, so
   * concurrent charges (threads or processes) cannot both pass on the last of a budget.
   * A charge is never taken back, even when the count then fails: a refund
   * would let a concurrent repeat of the same question, answered as free,
   * keep its figures at no cost.
   * @throws BiospecError BUDGET_EXHAUSTED when the question does not fit; nothing is recorded.
   */
  charge(input: BudgetCharge, budget: PrivacyBudget): ChargeResult;
  /** Where `person`'s budget stands at `now`. */
  status(person: string, budget: PrivacyBudget, now: Date): BudgetStatus;
  close(): void;
}

const DAY_MS = 86_400_000;
// Floating sums such as twenty charges of 0.1 must still fit a budget of 2.
const TOLERANCE = 1e-9;

/**
 * Schema history of the ledger file (`PRAGMA user_version`). Version 1 was the
 * fixed-period ledger keyed by researcher or project; version 2 keys charges
 * by person and noise generation and sums them over a sliding window. Old
 * charges are kept under generation "v1", which no current question has, so
 * none of them makes a new question free.
 */
const MIGRATIONS: readonly ((db: Database.Database) => void)[] = [
  (db) =>
    db.exec(`
      CREATE TABLE IF NOT EXISTS budget_charges (
        scope_key    TEXT    NOT NULL,
        query_hash   TEXT    NOT NULL,
        epoch        INTEGER NOT NULL,
        period_start TEXT    NOT NULL,
        epsilon      REAL    NOT NULL,
        researcher   TEXT    NOT NULL,
        project      TEXT    NOT NULL,
        charged_at   TEXT    NOT NULL,
        PRIMARY KEY (scope_key, query_hash, epoch)
      );`),
  (db) =>
    db.exec(`
      CREATE TABLE charges (
        person        TEXT    NOT NULL,
        query_hash    TEXT    NOT NULL,
        epoch         INTEGER NOT NULL,
        generation    TEXT    NOT NULL,
        epsilon       REAL    NOT NULL,
        charged_at_ms INTEGER NOT NULL,
        project       TEXT,
        PRIMARY KEY (person, query_hash, epoch, generation)
      ) STRICT;
      CREATE INDEX charges_window ON charges (person, charged_at_ms);
      INSERT OR IGNORE INTO charges (person, query_hash, epoch, generation, epsilon, charged_at_ms, project)
        SELECT researcher, query_hash, epoch, 'v1', epsilon, CAST(strftime('%s', charged_at) AS INTEGER) * 1000, project
        FROM budget_charges WHERE scope_key LIKE 'researcher:%';
      DROP TABLE budget_charges;`),
];

function migrate(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new BiospecError('FAILED_PRECONDITION', `budget ledger ${path} has schema version ${version}, newer than this software knows (${MIGRATIONS.length})`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      (MIGRATIONS[v] as (db: Database.Database) => void)(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/**
 * Opens (creating and migrating if needed) a budget ledger in a SQLite file, or in memory.
 *
 * The window slides: what a person spent more than `windowDays` days ago
 * is theirs again, charge by charge, so over any `windowDays` days one person
 * spends at most the budget (a fixed calendar period would allow twice that
 * across its boundary).
 */
export function createBudgetLedger(path: string | ':memory:'): BudgetLedger {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  migrate(db, path);

  const findRepeat = db.prepare<[string, string, number, string], { found: number }>(
    'SELECT 1 AS found FROM charges WHERE person = ? AND query_hash = ? AND epoch = ? AND generation = ?',
  );
  const inWindow = db.prepare<[string, number], { spent: number; oldest: number | null }>(
    'SELECT COALESCE(SUM(epsilon), 0) AS spent, MIN(charged_at_ms) AS oldest FROM charges WHERE person = ? AND charged_at_ms > ?',
  );
  const insert = db.prepare(
    `INSERT INTO charges (person, query_hash, epoch, generation, epsilon, charged_at_ms, project)
     VALUES (@person, @queryHash, @epoch, @generation, @epsilon, @chargedAtMs, @project)`,
  );

  const status = (person: string, budget: PrivacyBudget, now: Date): BudgetStatus => {
    const windowMs = budget.windowDays * DAY_MS;
    const row = inWindow.get(person, now.getTime() - windowMs) ?? { spent: 0, oldest: null };
    return {
      spent: row.spent,
      remaining: Math.max(0, budget.epsilon - row.spent),
      renewsAt: row.oldest === null ? null : new Date(row.oldest + windowMs).toISOString(),
    };
  };

  const chargeTx = db.transaction((input: BudgetCharge, budget: PrivacyBudget): ChargeResult => {
    const before = status(input.person, budget, input.now);
    if (findRepeat.get(input.person, input.queryHash, input.epoch, input.generation) !== undefined) {
      return { charged: 0, ...before };
    }
    if (before.spent + input.epsilon > budget.epsilon + TOLERANCE) {
      const renews = before.renewsAt === null ? '' : `; some comes back at ${before.renewsAt}`;
      // The hint depends on the ledger alone (when the oldest charge leaves the window), never on the data.
      const retryAfterMs = before.renewsAt === null ? undefined : Date.parse(before.renewsAt) - input.now.getTime();
      throw new BiospecError(
        'BUDGET_EXHAUSTED',
        `privacy budget exhausted at this node: spent ε=${formatEpsilon(before.spent)} of ${formatEpsilon(budget.epsilon)} over the last ${budget.windowDays} days, this question costs ε=${formatEpsilon(input.epsilon)}${renews}`,
        retryAfterMs === undefined || !(retryAfterMs > 0) ? {} : { retryAfterMs },
      );
    }
    if (input.epsilon === 0) return { charged: 0, ...before };
    insert.run({
      person: input.person,
      queryHash: input.queryHash,
      epoch: input.epoch,
      generation: input.generation,
      epsilon: input.epsilon,
      chargedAtMs: input.now.getTime(),
      project: input.project ?? null,
    });
    return { charged: input.epsilon, ...status(input.person, budget, input.now) };
  });

  return {
    charge(input, budget) {
      if (!(input.epsilon >= 0) || !Number.isFinite(input.epsilon)) {
        throw new BiospecError('INVALID_ARGUMENT', `epsilon to charge must be a non-negative number, got ${input.epsilon}`);
      }
      return chargeTx.immediate(input, budget);
    },
    status,
    close() {
      db.close();
    },
  };
}

/** "2.0", "0.5", "0.25": whole numbers keep one decimal, others up to three. */
function formatEpsilon(value: number): string {
  const rounded = Math.round(value * 1000) / 1000;
  return Number.isInteger(rounded) ? rounded.toFixed(1) : String(rounded);
}
