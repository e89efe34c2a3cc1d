import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BiospecError } from '@biospec/protocol';
import { createHoldQueue, type HoldQueue, type HoldRequest } from './hold-queue.js';
import { DEFAULT_POLICY } from './policy.js';
import { planQuestion } from './accounting.js';
import { protectAnswer } from './protect.js';

const stratified = { unit: 'specimens', stratify: ['material_type'] } as const;
const released = protectAnswer(
  { total: 130, strata: [{ key: { material_type: 'serum' }, count: 4 }, { key: { material_type: 'plasma' }, count: 126 }] },
  { ...stratified, stratify: [...stratified.stratify] },
  planQuestion({ ...stratified, stratify: [...stratified.stratify] }, DEFAULT_POLICY),
  DEFAULT_POLICY,
  { secret: 's', queryHash: 'q1', epoch: 1, generation: 'g1' },
);
const request = (overrides: Partial<HoldRequest> = {}): HoldRequest => ({
  queryHash: 'q1',
  epoch: 1,
  researcher: 'alice',
  project: 'p1',
  purpose: 'feasibility for a serum study',
  canonicalQuery: '{"unit":"specimen"}',
  released,
  ...overrides,
});

let dir: string;
let queue: HoldQueue;
let clock: Date;
const open = () => createHoldQueue(path.join(dir, 'hold.db'), { now: () => clock });
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hold-'));
  clock = new Date('2025-03-01T09:00:00Z');
  queue = open();
});
afterEach(() => {
  queue.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('hold queue', () => {
  test('holds a question with its protected figures intact', () => {
    const held = queue.hold(request());
    expect(held).toMatchObject({ status: 'held', heldAt: '2025-03-01T09:00:00.000Z', researcher: 'alice', purpose: 'feasibility for a serum study' });
    expect(held.released).toEqual(released);
    expect(held.steward).toBeUndefined();
    expect(queue.find('q1', 1, 'alice')).toEqual(held);
    expect(queue.find('q1', 2, 'alice')).toBeUndefined();
  });

  test('holding the same question again returns the existing entry', () => {
    const first = queue.hold(request());
    clock = new Date('2025-03-02T09:00:00Z');
    expect(queue.hold(request({ purpose: 'again' }))).toEqual(first);
    expect(queue.list()).toHaveLength(1);
    expect(queue.hold(request({ researcher: 'bob' })).id).not.toBe(first.id);
  });

  test('a steward releases a held question', () => {
    const held = queue.hold(request());
    clock = new Date('2025-03-01T10:00:00Z');
    const done = queue.release(held.id, 'steward-sam');
    expect(done).toMatchObject({ id: held.id, status: 'released', steward: 'steward-sam', decidedAt: '2025-03-01T10:00:00.000Z' });
    expect(done.reason).toBeUndefined();
    expect(queue.list('held')).toEqual([]);
    expect(queue.list('released')).toEqual([done]);
  });

  test("a release keeps the steward's reason when one is given", () => {
    const held = queue.hold(request());
    expect(queue.release(held.id, 'steward-sam', 'aggregate is coarse enough')).toMatchObject({ status: 'released', reason: 'aggregate is coarse enough' });
    expect(queue.release(queue.hold(request({ researcher: 'bob' })).id, 'steward-sam', '  ').reason).toBeUndefined();
  });

  test('a steward declines with a reason', () => {
    const held = queue.hold(request());
    const done = queue.decline(held.id, 'steward-sam', 'purpose too vague');
    expect(done).toMatchObject({ status: 'declined', steward: 'steward-sam', reason: 'purpose too vague' });
    expect(queue.find('q1', 1, 'alice')?.status).toBe('declined');
    expect(() => queue.decline(queue.hold(request({ researcher: 'bob' })).id, 'steward-sam', ' ')).toThrow(BiospecError);
  });

  test('a decision is final and unknown ids are NOT_FOUND', () => {
    const held = queue.hold(request());
    queue.release(held.id, 'steward-sam');
    const again = (() => {
      try {
        queue.decline(held.id, 'steward-kim', 'changed my mind');
      } catch (error) {
        return error as BiospecError;
      }
      throw new Error('expected a BiospecError');
    })();
    expect(again.code).toBe('FAILED_PRECONDITION');
    expect(() => queue.release('no-such-id', 'steward-sam')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  test('lists oldest first, filtered by status, and survives a reopen', () => {
    const a = queue.hold(request({ queryHash: 'qa' }));
    clock = new Date('2025-03-01T09:05:00Z');
    const b = queue.hold(request({ queryHash: 'qb' }));
    queue.decline(a.id, 'steward-sam', 'no');
    queue.close();
    queue = open();
    expect(queue.list().map((q) => q.id)).toEqual([a.id, b.id]);
    expect(queue.list('held').map((q) => q.id)).toEqual([b.id]);
    expect(queue.list('declined')[0]?.reason).toBe('no');
  });

  test('keeps a schema version: adopts a file made before versions were kept, refuses a newer one', () => {
    const held = queue.hold(request());
    queue.close();
    const file = path.join(dir, 'hold.db');
    // A file from before versions were kept: the same table, user_version 0.
    const raw = new Database(file);
    raw.pragma('user_version = 0');
    raw.close();
    queue = open();
    expect(queue.find('q1', 1, 'alice')?.id).toBe(held.id);
    queue.close();
    const again = new Database(file);
    expect(again.pragma('user_version', { simple: true })).toBe(1);
    again.pragma('user_version = 2');
    again.close();
    expect(() => open()).toThrow(/hold queue schema version 2 is newer than this software knows \(1\)/);
    queue = createHoldQueue(':memory:');
  });
});
