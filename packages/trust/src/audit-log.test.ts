import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalJson } from '@biospec/query';
import Database from 'better-sqlite3';
import { createAuditLog, GENESIS_HASH } from './audit-log.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trust-audit-'));
  file = path.join(dir, 'audit.sqlite');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function fill(): void {
  const log = createAuditLog(file);
  log.append({ kind: 'query', actor: 'coordinator', subject: 'q-1', outcome: 'answered', detail: { total: 120, strata: 3 } });
  log.append({ kind: 'query', actor: 'coordinator', subject: 'q-2', outcome: 'rejected', detail: { reason: 'replayed token' } });
  log.append({ kind: 'policy', actor: 'steward', outcome: 'changed' });
  log.close();
}

describe('createAuditLog', () => {
  test('appends chained entries and lists them by kind, seq and limit', () => {
    fill();
    const log = createAuditLog(file);
    const entries = log.list();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0]?.prev_hash).toBe(GENESIS_HASH);
    expect(entries[1]?.prev_hash).toBe(entries[0]?.hash);
    expect(entries[0]).toMatchObject({ kind: 'query', actor: 'coordinator', subject: 'q-1', outcome: 'answered', detail: { total: 120, strata: 3 } });
    expect(entries[2]).not.toHaveProperty('subject');
    expect(Number.isNaN(Date.parse(entries[0]?.time ?? ''))).toBe(false);

    expect(log.list({ kind: 'query' }).map((e) => e.seq)).toEqual([1, 2]);
    expect(log.list({ sinceSeq: 1, limit: 1 }).map((e) => e.seq)).toEqual([2]);
    expect(log.verifyChain()).toEqual({ ok: true, entries: 3 });

    const next = log.append({ kind: 'query', outcome: 'answered' });
    expect(next).toMatchObject({ seq: 4, prev_hash: entries[2]?.hash });
    log.close();
  });

  test('detects an edited row', () => {
    fill();
    const raw = new Database(file);
    raw.prepare("UPDATE audit_log SET outcome = 'answered' WHERE seq = 2").run();
    raw.close();
    const log = createAuditLog(file);
    expect(log.verifyChain()).toEqual({ ok: false, brokenAt: 2 });
    log.close();
  });

  test('detects an edited detail and a deleted row', () => {
    fill();
    const raw = new Database(file);
    raw.prepare(`UPDATE audit_log SET detail = '{"total":5,"strata":3}' WHERE seq = 1`).run();
    raw.close();
    const edited = createAuditLog(file);
    expect(edited.verifyChain()).toEqual({ ok: false, brokenAt: 1 });
    edited.close();

    fs.rmSync(file);
    fill();
    const raw2 = new Database(file);
    raw2.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    raw2.close();
    const deleted = createAuditLog(file);
    expect(deleted.verifyChain()).toEqual({ ok: false, brokenAt: 3 });
    deleted.close();
  });

  test('an edit that recomputes its own row hash still breaks the link to the next', () => {
    fill();
    const raw = new Database(file);
    const row = raw.prepare('SELECT * FROM audit_log WHERE seq = 1').get() as Record<string, unknown>;
    const forged: Record<string, unknown> = { ...row, outcome: 'rejected' };
    const { hash: _hash, detail, ...fields } = forged;
    const content = canonicalJson({ ...fields, detail: JSON.parse(detail as string) as unknown });
    const hash = createHash('sha256').update(String(row.prev_hash)).update(content).digest('hex');
    raw.prepare("UPDATE audit_log SET outcome = 'rejected', hash = ? WHERE seq = 1").run(hash);
    raw.close();
    const log = createAuditLog(file);
    expect(log.verifyChain()).toEqual({ ok: false, brokenAt: 2 });
    log.close();
  });

  test('refuses an entry without kind or outcome', () => {
    const log = createAuditLog(file);
    expect(() => log.append({ kind: '', outcome: 'x' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    log.close();
  });

  test('records the entries of one event-loop turn in one transaction, in order, and resolves once committed', async () => {
    const log = createAuditLog(file);
    log.append({ kind: 'policy', actor: 'steward', outcome: 'changed' });
    const reader = new Database(file, { readonly: true });
    const count = () => (reader.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;
    const pending = [1, 2, 3].map((i) => log.record({ kind: 'query', subject: `q-${i}`, outcome: 'answered', detail: { i } }));
    // Nothing is written before the turn ends: the three wait for one commit.
    expect(count()).toBe(1);
    const entries = await Promise.all(pending);
    expect(count()).toBe(4);
    expect(entries.map((e) => [e.seq, e.subject])).toEqual([
      [2, 'q-1'],
      [3, 'q-2'],
      [4, 'q-3'],
    ]);
    expect(entries[1]?.prev_hash).toBe(entries[0]?.hash);
    expect(log.list().map((e) => e.hash)).toEqual([log.list()[0]?.hash, ...entries.map((e) => e.hash)]);
    expect(log.verifyChain()).toEqual({ ok: true, entries: 4 });
    reader.close();
    log.close();
  });

  test('a recorded entry still queued when the log closes is written, not lost', async () => {
    const log = createAuditLog(file);
    const pending = log.record({ kind: 'query', subject: 'q-last', outcome: 'answered' });
    log.close();
    await expect(pending).resolves.toMatchObject({ seq: 1, subject: 'q-last' });
    const reopened = createAuditLog(file);
    expect(reopened.list().map((e) => e.subject)).toEqual(['q-last']);
    reopened.close();
  });

  test('a batch that cannot be written rejects every entry in it and writes none', async () => {
    const log = createAuditLog(file);
    // A BigInt cannot be stored as JSON: the second entry fails inside the shared transaction.
    const pending = [log.record({ kind: 'query', outcome: 'a' }), log.record({ kind: 'query', outcome: 'b', detail: { n: 1n } })];
    const results = await Promise.allSettled(pending);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(log.list()).toEqual([]);
    await expect(log.record({ kind: 'query', outcome: 'c' })).resolves.toMatchObject({ seq: 1 });
    log.close();
  });

  test('refuses a recorded entry without kind or outcome at once', () => {
    const log = createAuditLog(file);
    expect(() => log.record({ kind: 'query', outcome: '' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    log.close();
  });
});
