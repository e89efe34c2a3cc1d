import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BiospecError } from '@biospec/protocol';
import { createBudgetLedger, type BudgetLedger } from './budget-ledger.js';
import type { PrivacyBudget } from './policy.js';

const budget: PrivacyBudget = { epsilon: 10, periodDays: 30, scope: 'researcher' };
// 30-day periods counted from the Unix epoch: this one runs 2024-12-13 to 2025-01-12.
const now = new Date('2025-01-10T12:00:00Z');
const periodEnd = '2025-01-12T00:00:00.000Z';
const ask = (queryHash: string, epsilon = 1, overrides: Partial<{ researcher: string; project: string; epoch: number; now: Date }> = {}) => ({
  researcher: 'alice',
  project: 'p1',
  queryHash,
  epoch: 1,
  epsilon,
  now,
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

describe('budget ledger', () => {
  test('a new question spends its epsilon; a repeat spends nothing', () => {
    expect(ledger.charge(ask('q1', 2), budget)).toEqual({ charged: 2, spent: 2, remaining: 8, periodEndsAt: periodEnd });
    expect(ledger.charge(ask('q1', 2), budget)).toEqual({ charged: 0, spent: 2, remaining: 8, periodEndsAt: periodEnd });
    expect(ledger.charge(ask('q1', 2, { epoch: 2 }), budget).charged).toBe(2);
    expect(ledger.remaining({ researcher: 'alice', project: 'p1' }, budget, now)).toEqual({ spent: 4, remaining: 6, periodEndsAt: periodEnd });
  });

  test('exhaustion throws BUDGET_EXHAUSTED with a clear message and records nothing', () => {
    for (let i = 0; i < 10; i++) ledger.charge(ask(`q${i}`), budget);
    const error = thrown(() => ledger.charge(ask('q-new'), budget));
    expect(error.code).toBe('BUDGET_EXHAUSTED');
    expect(error.message).toBe(`privacy budget exhausted for researcher alice: spent 10.0 of 10.0 this period, renews at ${periodEnd}`);
    expect(error.issues).toEqual([{ field: 'epsilon', message: 'this question needs ε=1.0' }]);
    expect(ledger.remaining({ researcher: 'alice', project: 'p1' }, budget, now).spent).toBe(10);
    // An earlier question is still free to repeat.
    expect(ledger.charge(ask('q3'), budget).charged).toBe(0);
  });

  test('a question that does not fit the remainder is refused even when some budget is left', () => {
    ledger.charge(ask('q1', 9.5), budget);
    expect(thrown(() => ledger.charge(ask('q2', 1), budget)).message).toContain('spent 9.5 of 10.0');
    expect(ledger.charge(ask('q3', 0.5), budget).remaining).toBe(0);
  });

  test('floating sums up to the budget fit', () => {
    const small = { ...budget, epsilon: 1 };
    for (let i = 0; i < 10; i++) ledger.charge(ask(`q${i}`, 0.1), small);
    expect(() => ledger.charge(ask('q-over', 0.1), small)).toThrow(BiospecError);
  });

  test('the budget renews in the next period', () => {
    for (let i = 0; i < 10; i++) ledger.charge(ask(`q${i}`), budget);
    const next = new Date(periodEnd);
    expect(ledger.remaining({ researcher: 'alice', project: 'p1' }, budget, next)).toEqual({
      spent: 0,
      remaining: 10,
      periodEndsAt: '2025-02-11T00:00:00.000Z',
    });
    expect(ledger.charge(ask('q-new', 1, { now: next }), budget)).toMatchObject({ charged: 1, spent: 1 });
    // The noise is deterministic, so a repeat from an earlier period learns nothing new either.
    expect(ledger.charge(ask('q0', 1, { now: next }), budget).charged).toBe(0);
  });

  test('researchers have separate budgets under researcher scope', () => {
    for (let i = 0; i < 10; i++) ledger.charge(ask(`q${i}`), budget);
    expect(ledger.charge(ask('q0', 1, { researcher: 'bob' }), budget).charged).toBe(1);
  });

  test('project scope: every researcher of a project spends one budget', () => {
    const projectBudget: PrivacyBudget = { ...budget, scope: 'project' };
    for (let i = 0; i < 5; i++) ledger.charge(ask(`a${i}`), projectBudget);
    for (let i = 0; i < 5; i++) ledger.charge(ask(`b${i}`, 1, { researcher: 'bob' }), projectBudget);
    const error = thrown(() => ledger.charge(ask('c', 1, { researcher: 'carol' }), projectBudget));
    expect(error.message).toBe(`privacy budget exhausted for project p1: spent 10.0 of 10.0 this period, renews at ${periodEnd}`);
    // The same question is a repeat for the project, whoever asks it.
    expect(ledger.charge(ask('a0', 1, { researcher: 'carol' }), projectBudget).charged).toBe(0);
    expect(ledger.charge(ask('c', 1, { researcher: 'carol', project: 'p2' }), projectBudget).charged).toBe(1);
  });

  test('survives a reopen of the file', () => {
    ledger.charge(ask('q1', 3), budget);
    ledger.close();
    ledger = createBudgetLedger(path.join(dir, 'budget.db'));
    expect(ledger.remaining({ researcher: 'alice', project: 'p1' }, budget, now).spent).toBe(3);
    expect(ledger.charge(ask('q1', 3), budget).charged).toBe(0);
  });

  test('two connections to one file share one budget and never overspend it', () => {
    const other = createBudgetLedger(path.join(dir, 'budget.db'));
    try {
      const results = Array.from({ length: 20 }, (_, i) => {
        const target = i % 2 === 0 ? ledger : other;
        try {
          return target.charge(ask(`q${i}`), budget).charged;
        } catch {
          return 0;
        }
      });
      expect(results.reduce((a, b) => a + b, 0)).toBe(10);
      expect(other.remaining({ researcher: 'alice', project: 'p1' }, budget, now)).toMatchObject({ spent: 10, remaining: 0 });
    } finally {
      other.close();
    }
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
