import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BiospecError } from '@biospec/protocol';
import { createBudgetLedger, type BudgetCharge, type BudgetLedger } from './budget-ledger.js';
import type { PrivacyBudget } from './policy.js';

const DAY = 86_400_000;
const budget: PrivacyBudget = { epsilon: 2, windowDays: 30 };
const now = new Date('2025-01-10T12:00:00Z');
const ask = (queryHash: string, epsilon = 0.5, overrides: Partial<BudgetCharge> = {}): BudgetCharge => ({
  person: 'r-alice',
  queryHash,
  epoch: 1,
  generation: 'g1',
  epsilon,
  now,
  project: 'p1',
  ...overrides,
});

let dir: string;
let ledger: BudgetLedger;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'budget-'));
  ledger = createBudgetLedger(path.join(dir, 'budget.db'));
});
afterEach(() => {
  ledger.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function thrown(fn: () => unknown): BiospecError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BiospecError) return error;
    throw error;
  }
  throw new Error('expected a BiospecError');
}

const renewsAt = (at: Date) => new Date(at.getTime() + 30 * DAY).toISOString();

describe('budget ledger', () => {
  test('a new question spends its epsilon; a repeat (same question, epoch and generation) spends nothing', () => {
    expect(ledger.charge(ask('q1'), budget)).toEqual({ charged: 0.5, spent: 0.5, remaining: 1.5, renewsAt: renewsAt(now) });
    expect(ledger.charge(ask('q1'), budget)).toEqual({ charged: 0, spent: 0.5, remaining: 1.5, renewsAt: renewsAt(now) });
    expect(ledger.charge(ask('q1', 0.5, { epoch: 2 }), budget).charged).toBe(0.5);
    // Another noise generation (new ε, caps or secret) gives fresh figures, so it is charged again.
    expect(ledger.charge(ask('q1', 0.5, { generation: 'g2' }), budget).charged).toBe(0.5);
    expect(ledger.status('r-alice', budget, now)).toEqual({ spent: 1.5, remaining: 0.5, renewsAt: renewsAt(now) });
  });

  test('the project named does not change whose budget it is', () => {
    ledger.charge(ask('q1', 1.5, { project: 'p1' }), budget);
    expect(thrown(() => ledger.charge(ask('q2', 1, { project: 'a-new-project' }), budget)).code).toBe('BUDGET_EXHAUSTED');
    expect(ledger.charge(ask('q2', 1, { person: 'r-bob' }), budget).charged).toBe(1);
  });

  test('exhaustion says what was spent, what the question costs and when some comes back; nothing is recorded', () => {
    for (let i = 0; i < 4; i++) ledger.charge(ask(`q${i}`, 0.5, { now: new Date(now.getTime() + i * DAY) }), budget);
    const later = new Date(now.getTime() + 5 * DAY);
    const error = thrown(() => ledger.charge(ask('q-new', 0.5, { now: later }), budget));
    expect(error.code).toBe('BUDGET_EXHAUSTED');
    expect(error.message).toBe(
      `privacy budget exhausted at this node: spent ε=2.0 of 2.0 over the last 30 days, this question costs ε=0.5; some comes back at ${renewsAt(now)}`,
    );
    expect(ledger.status('r-alice', budget, later).spent).toBe(2);
    // An earlier question is still free to repeat.
    expect(ledger.charge(ask('q3', 0.5, { now: later }), budget).charged).toBe(0);
  });

  test('the window slides: each charge comes back 30 days after it was made, never a double budget', () => {
    // Spend everything on day 0, then try again just before and after day 30.
    ledger.charge(ask('a', 2), budget);
    const justBefore = new Date(now.getTime() + 30 * DAY - 1);
    expect(() => ledger.charge(ask('b', 0.1, { now: justBefore }), budget)).toThrow(BiospecError);
    const after = new Date(now.getTime() + 30 * DAY + 1);
    expect(ledger.status('r-alice', budget, after)).toEqual({ spent: 0, remaining: 2, renewsAt: null });
    expect(ledger.charge(ask('b', 2, { now: after }), budget).charged).toBe(2);
    // Over any 30 days at most the budget was spent: day 0 and day 30+ never share a window.
    expect(ledger.status('r-alice', budget, after).spent).toBe(2);
  });

  test('floating sums up to the budget fit', () => {
    for (let i = 0; i < 20; i++) ledger.charge(ask(`q${i}`, 0.1), budget);
    expect(() => ledger.charge(ask('q-over', 0.1), budget)).toThrow(BiospecError);
  });

  test('survives a reopen of the file', () => {
    ledger.charge(ask('q1', 1.5), budget);
    ledger.close();
    ledger = createBudgetLedger(path.join(dir, 'budget.db'));
    expect(ledger.status('r-alice', budget, now).spent).toBe(1.5);
    expect(ledger.charge(ask('q1', 1.5), budget).charged).toBe(0);
  });

  test('two connections to one file share one budget and never overspend it', () => {
    const other = createBudgetLedger(path.join(dir, 'budget.db'));
    try {
      const results = Array.from({ length: 20 }, (_, i) => {
        const target = i % 2 === 0 ? ledger : other;
        try {
          return target.charge(ask(`q${i}`, 0.25), budget).charged;
        } catch {
          return 0;
        }
      });
      expect(results.reduce((a, b) => a + b, 0)).toBe(2);
      expect(other.status('r-alice', budget, now)).toMatchObject({ spent: 2, remaining: 0 });
    } finally {
      other.close();
    }
  });

  test('a ledger of the fixed-period version is migrated; its charges never make a new question free', () => {
    ledger.close();
    const file = path.join(dir, 'old.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE budget_charges (scope_key TEXT NOT NULL, query_hash TEXT NOT NULL, epoch INTEGER NOT NULL, period_start TEXT NOT NULL,
      epsilon REAL NOT NULL, researcher TEXT NOT NULL, project TEXT NOT NULL, charged_at TEXT NOT NULL, PRIMARY KEY (scope_key, query_hash, epoch))`);
    db.prepare('INSERT INTO budget_charges VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      'researcher:r-alice', 'q1', 1, '2024-12-13T00:00:00.000Z', 1, 'r-alice', 'p1', now.toISOString(),
    );
    db.close();
    ledger = createBudgetLedger(file);
    expect(ledger.status('r-alice', budget, now).spent).toBe(1);
    expect(ledger.charge(ask('q1', 0.5), budget).charged).toBe(0.5);
    expect(new Database(file, { readonly: true }).pragma('user_version', { simple: true })).toBe(2);
  });

  test('a ledger newer than this software is refused', () => {
    ledger.close();
    const file = path.join(dir, 'newer.db');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => createBudgetLedger(file)).toThrow('newer than this software knows');
    ledger = createBudgetLedger(':memory:');
  });

  test('works in memory and rejects a negative epsilon', () => {
    const memory = createBudgetLedger(':memory:');
    try {
      expect(memory.charge(ask('q1', 0), budget).charged).toBe(0);
      expect(() => memory.charge(ask('q2', -1), budget)).toThrow(BiospecError);
    } finally {
      memory.close();
    }
  });
});
