import Database from 'better-sqlite3';
import { BiospecError } from '@biospec/protocol';
import type { PrivacyBudget } from './policy.js';

/** Who a question is asked for; the budget's scope decides which of the two pays. */
export interface BudgetKey {
  researcher: string;
  project: string;
}

/** One question to charge to a budget. */
export interface BudgetCharge extends BudgetKey {
  queryHash: string;
  epoch: number;
  /** Epsilon this question spends (see `epsilonPerQuery`). */
  epsilon: number;
  now: Date;
}

/** Where a budget stands in the current period. */
export interface BudgetStatus {
  /** Epsilon spent in the current period. */
  spent: number;
  /** Epsilon left in the current period, never negative. */
  remaining: number;
  /** ISO time the current period ends and the budget renews. */
  periodEndsAt: string;
}

/** The outcome of a charge: what this question cost and where the budget stands after it. */
export interface ChargeResult extends BudgetStatus {
  /** Epsilon this question spent: 0 for a repeat. */
  charged: number;
}

/** A node's persistent record of privacy budget spent per researcher or project. */
export interface BudgetLedger {
  /**
   * Charges a question's epsilon to the budget of its scope (researcher or project).
   *
   * Asking the same question (same scope, query hash and data epoch) again costs
   * nothing, in this period or any later one: the noise is deterministic, so the
   * repeat gets the same figures and learns nothing new. Check and record happen in
   * one immediate transaction, so concurrent charges (threads or processes) cannot
   * both pass on the last of a budget.
   * @throws BiospecError BUDGET_EXHAUSTED when the question does not fit; nothing is recorded.
   */
  charge(input: BudgetCharge, budget: PrivacyBudget): ChargeResult;
  /** What the budget of `key`'s scope has left at `now`. */
  remaining(key: BudgetKey, budget: PrivacyBudget, now: Date): BudgetStatus;
  close(): void;
}

const DAY_MS = 86_400_000;
// Floating sums such as ten charges of 0.1 must still fit a budget of 1.
const TOLERANCE = 1e-9;

/**
 * Opens (creating if needed) a budget ledger in a SQLite file, or in memory.
 *
 * Periods are fixed windows of `periodDays` counted from the Unix epoch (UTC),
 * the same for everyone. Unlike a sliding window, a fixed window has one renewal
 * time a researcher can be told, and the whole budget comes back at once. The
 * cost: spending all at the end of one period and all at the start of the next
 * allows up to twice the budget within `periodDays`; size the budget with that in mind.
 */
export function createBudgetLedger(path: string | ':memory:'): BudgetLedger {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
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
    );
    CREATE INDEX IF NOT EXISTS budget_charges_period ON budget_charges (scope_key, period_start);
  `);

  const findRepeat = db.prepare<[string, string, number], { found: number }>(
    'SELECT 1 AS found FROM budget_charges WHERE scope_key = ? AND query_hash = ? AND epoch = ?',
  );
  const sumPeriod = db.prepare<[string, string], { spent: number }>(
    'SELECT COALESCE(SUM(epsilon), 0) AS spent FROM budget_charges WHERE scope_key = ? AND period_start = ?',
  );
  const insert = db.prepare(
    `INSERT INTO budget_charges (scope_key, query_hash, epoch, period_start, epsilon, researcher, project, charged_at)
     VALUES (@scopeKey, @queryHash, @epoch, @periodStart, @epsilon, @researcher, @project, @chargedAt)`,
  );

  const status = (scopeKey: string, budget: PrivacyBudget, now: Date) => {
    const period = periodOf(now, budget.periodDays);
    const spent = sumPeriod.get(scopeKey, period.start)?.spent ?? 0;
    return { period, spent, remaining: Math.max(0, budget.epsilon - spent) };
  };

  const chargeTx = db.transaction((input: BudgetCharge, budget: PrivacyBudget): ChargeResult => {
    const scopeKey = scopeKeyOf(input, budget);
    const before = status(scopeKey, budget, input.now);
    const periodEndsAt = before.period.end;
    if (findRepeat.get(scopeKey, input.queryHash, input.epoch) !== undefined) {
      return { charged: 0, spent: before.spent, remaining: before.remaining, periodEndsAt };
    }
    if (before.spent + input.epsilon > budget.epsilon + TOLERANCE) {
      const who = budget.scope === 'researcher' ? `researcher ${input.researcher}` : `project ${input.project}`;
      throw new BiospecError(
        'BUDGET_EXHAUSTED',
        `privacy budget exhausted for ${who}: spent ${formatEpsilon(before.spent)} of ${formatEpsilon(budget.epsilon)} this period, renews at ${periodEndsAt}`,
        { issues: [{ field: 'epsilon', message: `this question needs ε=${formatEpsilon(input.epsilon)}` }] },
      );
    }
    insert.run({
      scopeKey,
      queryHash: input.queryHash,
      epoch: input.epoch,
      periodStart: before.period.start,
      epsilon: input.epsilon,
      researcher: input.researcher,
      project: input.project,
      chargedAt: input.now.toISOString(),
    });
    const spent = before.spent + input.epsilon;
    return { charged: input.epsilon, spent, remaining: Math.max(0, budget.epsilon - spent), periodEndsAt };
  });

  return {
    charge(input, budget) {
      if (!(input.epsilon >= 0) || !Number.isFinite(input.epsilon)) {
        throw new BiospecError('INVALID_ARGUMENT', `epsilon to charge must be a non-negative number, got ${input.epsilon}`);
      }
      return chargeTx.immediate(input, budget);
    },
    remaining(key, budget, now) {
      const { period, spent, remaining } = status(scopeKeyOf(key, budget), budget, now);
      return { spent, remaining, periodEndsAt: period.end };
    },
    close() {
      db.close();
    },
  };
}

function scopeKeyOf(key: BudgetKey, budget: PrivacyBudget): string {
  return budget.scope === 'researcher' ? `researcher:${key.researcher}` : `project:${key.project}`;
}

function periodOf(now: Date, periodDays: number): { start: string; end: string } {
  const length = periodDays * DAY_MS;
  const index = Math.floor(now.getTime() / length);
  return { start: new Date(index * length).toISOString(), end: new Date((index + 1) * length).toISOString() };
}

/** "10.0", "0.5", "0.25": whole numbers keep one decimal, others up to three. */
function formatEpsilon(value: number): string {
  const rounded = Math.round(value * 1000) / 1000;
  return Number.isInteger(rounded) ? rounded.toFixed(1) : String(rounded);
}
