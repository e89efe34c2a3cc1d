import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { hashOf, type AuditRow } from './audit-chain.js';
import { readHeadFile, signCheckpoint } from './audit-checkpoint.js';
import { AUDIT_LOG_MIGRATIONS, createAuditLog, type AuditLog } from './audit-log.js';
import { createKeyRing, generateSigningKey, importSigningKey, type KeyRing, type SigningKey } from './keys.js';

let dir: string;
let file: string;
let key: SigningKey;
let ring: KeyRing;

beforeAll(async () => {
  key = await importSigningKey((await generateSigningKey({ kid: 'node-1' })).privateJwk);
  ring = await createKeyRing([key.publicJwk]);
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trust-audit-verify-'));
  file = path.join(dir, 'audit.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const open = (options: { checkpointEveryMs?: number } = {}) =>
  createAuditLog(file, { signer: { key, logId: 'node-a' }, checkpointEveryMs: options.checkpointEveryMs ?? 0 });

/** Ten entries, with a signed checkpoint after every two (as a running node makes them, one per interval). */
function fill(): void {
  const log = open();
  for (let i = 1; i <= 10; i += 1) {
    log.append({ kind: 'query', actor: `r-${i}`, subject: `q-${i}`, outcome: 'answered', detail: { released: String(i * 10) } });
    if (i % 2 === 0) log.checkpoint();
  }
  log.close();
}

/** What someone with write access to the file does to hide an entry: edit it and recompute every hash after it. */
function rewriteFrom(seq: number, outcome: string): void {
  const raw = new Database(file);
  const rows = raw.prepare('SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq').all(seq) as AuditRow[];
  let prev = (raw.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(seq - 1) as { hash: string } | undefined)?.hash ?? '0'.repeat(64);
  const update = raw.prepare('UPDATE audit_log SET outcome = ?, prev_hash = ?, hash = ? WHERE seq = ?');
  for (const row of rows) {
    const changed: AuditRow = { ...row, outcome: row.seq === seq ? outcome : row.outcome, prev_hash: prev };
    changed.hash = hashOf(changed);
    update.run(changed.outcome, changed.prev_hash, changed.hash, row.seq);
    prev = changed.hash;
  }
  raw.close();
}

function run(sql: string, ...params: unknown[]): void {
  const raw = new Database(file);
  raw.prepare(sql).run(...params);
  raw.close();
}

async function verifyWith(log: AuditLog) {
  try {
    return await log.verify(ring, { logId: 'node-a' });
  } finally {
    log.close();
  }
}

const readOnly = () => createAuditLog(file, { readonly: true });

describe('signed checkpoints of the audit log', () => {
  test('an untouched log verifies against its signed head, kept in a 0600 file beside it', async () => {
    fill();
    expect(fs.statSync(`${file}.head`).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const report = await verifyWith(readOnly());
    expect(report).toMatchObject({ ok: true, entries: 10, lastSeq: 10, problems: [] });
    expect(report.head).toMatchObject({ seq: 10, log: 'node-a', kid: 'node-1', source: 'head file' });
    expect(report.checkpoints.verified).toBeGreaterThanOrEqual(6);
  });

  test('deleting the last entries is reported as truncation from the first missing entry', async () => {
    fill();
    run('DELETE FROM audit_log WHERE seq > 7');
    // The plain hash chain of what is left still holds: only the signed head shows the cut.
    const report = await verifyWith(readOnly());
    expect(report.chain).toEqual({ ok: true, entries: 7 });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'truncated', fromSeq: 8, message: expect.stringMatching(/^truncated from entry 8 on: .* vouches for 10 entries, the log ends at entry 7 \(entries 8 to 10 are missing\)$/) }),
    ]);
  });

  test('deleting the last entries and their checkpoints is still caught by the head file', async () => {
    fill();
    run('DELETE FROM audit_log WHERE seq > 4');
    run('DELETE FROM audit_checkpoint WHERE seq > 4');
    const report = await verifyWith(readOnly());
    expect(report.problems.map((p) => [p.kind, p.fromSeq])).toEqual([['truncated', 5]]);
  });

  test('editing an entry and recomputing the chain is reported as rewriting from that entry', async () => {
    fill();
    rewriteFrom(6, 'rejected');
    const report = await verifyWith(readOnly());
    expect(report.chain.ok).toBe(true);
    expect(report.problems).toEqual([
      expect.objectContaining({
        kind: 'rewritten',
        fromSeq: 5,
        message: expect.stringMatching(/^rewritten from an entry between 5 and 6 on: entry 6 no longer has the hash signed at .*; entries up to 4 still match a signed checkpoint$/),
      }),
    ]);
  });

  test('a rewrite is located to the entry when a checkpoint follows every entry', async () => {
    const log = open();
    for (let i = 1; i <= 5; i += 1) {
      log.append({ kind: 'query', subject: `q-${i}`, outcome: 'answered' });
      log.checkpoint();
    }
    log.close();
    rewriteFrom(3, 'rejected');
    const report = await verifyWith(readOnly());
    expect(report.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^rewritten from entry 3 on: entry 3 no longer has the hash/)]);
  });

  test('an edit in place is reported at the entry, as before', async () => {
    fill();
    run("UPDATE audit_log SET outcome = 'rejected' WHERE seq = 3");
    const report = await verifyWith(readOnly());
    expect(report.problems[0]).toMatchObject({ kind: 'edited', fromSeq: 3 });
  });

  test('a forged checkpoint, a missing head file and a log without checkpoints are each reported', async () => {
    fill();
    const other = await importSigningKey((await generateSigningKey({ kid: 'node-1' })).privateJwk);
    run('INSERT INTO audit_checkpoint (seq, time, token) VALUES (?, ?, ?)', 99, 'x', signCheckpoint({ log: 'node-a', seq: 99, hash: 'a'.repeat(64), time: 'x' }, other));
    expect((await verifyWith(readOnly())).problems.map((p) => p.kind)).toEqual(['bad-checkpoint']);

    run('DELETE FROM audit_checkpoint WHERE seq = 99');
    fs.rmSync(`${file}.head`);
    expect((await verifyWith(readOnly())).problems.map((p) => p.kind)).toEqual(['head-missing']);

    run('DELETE FROM audit_checkpoint');
    expect((await verifyWith(readOnly())).problems.map((p) => p.kind)).toEqual(['head-missing', 'unanchored']);
  });

  test('the owner refuses to append to a log that no longer matches its signed head, and keeps the evidence', async () => {
    fill();
    const head = readHeadFile(`${file}.head`);
    run('DELETE FROM audit_log WHERE seq > 8');
    expect(() => open()).toThrow(
      expect.objectContaining({
        code: 'FAILED_PRECONDITION',
        message: expect.stringContaining('it vouches for 10 entries, the database ends at entry 8'),
      }),
    );
    expect(readHeadFile(`${file}.head`)).toBe(head);
  });

  test('a running log signs checkpoints by itself and writes the head file', async () => {
    const log = open({ checkpointEveryMs: 20 });
    try {
      log.append({ kind: 'query', outcome: 'answered' });
      const deadline = Date.now() + 10_000;
      while (!(readHeadFile(`${file}.head`) ?? '').includes('.') || !headSeqIs(1)) {
        if (Date.now() > deadline) throw new Error('no checkpoint of entry 1 within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      log.close();
    }
  });

  test('a log made before checkpoints existed is migrated and anchored when its owner opens it', async () => {
    const raw = new Database(file);
    AUDIT_LOG_MIGRATIONS[0]!.up(raw);
    raw.close();
    const unsigned = createAuditLog(file);
    unsigned.append({ kind: 'query', outcome: 'answered' });
    unsigned.close();
    fs.rmSync(`${file}.head`, { force: true });
    const report = await verifyWith(open());
    expect(report).toMatchObject({ ok: true, lastSeq: 1, head: { seq: 1 } });
  });

  test('closing a signed log twice is harmless (a service and its owner may both close it)', () => {
    const log = open();
    log.append({ kind: 'query', outcome: 'answered' });
    log.close();
    expect(() => log.close()).not.toThrow();
    expect(headSeqIs(1)).toBe(true);
  });

  test('the newest entries come first, a page at a time', () => {
    fill();
    const log = readOnly();
    expect(log.list({ order: 'desc', limit: 3 }).map((e) => e.seq)).toEqual([10, 9, 8]);
    expect(log.list({ order: 'desc', limit: 3, beforeSeq: 8 }).map((e) => e.seq)).toEqual([7, 6, 5]);
    expect(log.size()).toEqual({ entries: 10, lastSeq: 10 });
    log.close();
  });
});

function headSeqIs(seq: number): boolean {
  const token = readHeadFile(`${file}.head`) ?? '';
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}') as { seq?: number };
  return payload.seq === seq;
}

test('closing while a periodic head write is in flight neither fails nor leaves an older head behind', async () => {
  for (let round = 0; round < 40; round += 1) {
    const log = open({ checkpointEveryMs: 1 });
    log.append({ kind: 'query', actor: 'r', subject: `q-${round}`, outcome: 'answered', detail: {} });
    // Let the timer start its write off the main thread, then close before that write is done.
    await new Promise((resolve) => setTimeout(resolve, 2));
    log.append({ kind: 'query', actor: 'r', subject: `q-${round}-b`, outcome: 'answered', detail: {} });
    expect(() => log.close()).not.toThrow();
    const last = readHeadFile(`${file}.head`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Whatever the write in flight did, the head on disk is the one close() signed.
    expect(readHeadFile(`${file}.head`)).toBe(last);
  }
  const log = createAuditLog(file, { readonly: true });
  expect((await log.verify(ring, { headFile: `${file}.head` })).ok).toBe(true);
  log.close();
});
