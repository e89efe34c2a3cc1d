import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { canonicalJson } from '@biospec/query';
import { biospec } from './harness/cli.js';

let work: string;
let pristine: string;

// One node folder with eight withdrawals, each a separate `biospec` run (so each closes
// the log with a signed checkpoint); every test works on its own copy.
beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-cli-audit-'));
  pristine = path.join(work, 'node');
  const csv = path.join(work, 'export.csv');
  expect((await biospec(['generate', '--out', csv, '--donors', '40', '--seed', '3', '--prefix', 'AUD'])).code).toBe(0);
  expect((await biospec(['node', 'init', '--dir', pristine, '--id', 'audit-node', '--name', 'Audit Test'])).code).toBe(0);
  expect((await biospec(['node', 'import', csv, '--dir', pristine])).code).toBe(0);
  const donors = [...new Set(fs.readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((line) => line.split(',')[1]!))].slice(0, 8);
  for (const donor of donors) {
    const withdrawn = await biospec(['node', 'withdraw', '--dir', pristine, '--donor', donor]);
    expect(withdrawn).toMatchObject({ code: 0, stderr: '' });
  }
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

let copies = 0;
function copyOfNode(): { dir: string; db: string } {
  copies += 1;
  const dir = path.join(work, `copy-${copies}`);
  fs.cpSync(pristine, dir, { recursive: true });
  return { dir, db: path.join(dir, 'state', 'audit.db') };
}

function withDb(file: string, change: (db: Database.Database) => void): void {
  const db = new Database(file);
  change(db);
  db.close();
}

/** Edits entry `seq` and recomputes every hash after it, as someone hiding the edit would. */
function rewriteFrom(file: string, seq: number): void {
  withDb(file, (db) => {
    type Row = Record<string, unknown> & { seq: number; prev_hash: string; hash: string; detail: string | null };
    const rows = db.prepare('SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq').all(seq) as Row[];
    let prev = (db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(seq - 1) as { hash: string }).hash;
    for (const row of rows) {
      const changed = { ...row, outcome: row.seq === seq ? 'kept' : row.outcome, prev_hash: prev };
      const { hash: _old, detail, ...fields } = changed;
      const hash = createHash('sha256')
        .update(prev)
        .update(canonicalJson({ ...fields, detail: detail === null ? null : (JSON.parse(detail) as unknown) }))
        .digest('hex');
      db.prepare('UPDATE audit_log SET outcome = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(changed.outcome, prev, hash, row.seq);
      prev = hash;
    }
  });
}

test('node audit shows the newest entries first, a page at a time, and verifies the log', async () => {
  const { dir } = copyOfNode();
  const first = await biospec(['node', 'audit', '--dir', dir, '--limit', '3']);
  expect(first.code).toBe(0);
  const lines = first.stdout.trim().split('\n');
  expect(lines.slice(0, 3).map((l) => Number(l.split(' ')[0]))).toEqual([8, 7, 6]);
  expect(lines[3]).toBe('entries 8 to 6 of 8, newest first; older ones: --before 6');
  expect(lines[4]).toMatch(/^audit log verified: 8 entries, hash chain intact, matches the head signed \S+ \(entry 8, key \S+, head file\)$/);

  const next = await biospec(['node', 'audit', '--dir', dir, '--limit', '3', '--before', '6']);
  expect(next.stdout.trim().split('\n').slice(0, 4)).toEqual([
    expect.stringMatching(/^5 /),
    expect.stringMatching(/^4 /),
    expect.stringMatching(/^3 /),
    'entries 5 to 3 of 8, newest first; older ones: --before 3',
  ]);
  const last = await biospec(['node', 'audit', '--dir', dir, '--limit', '3', '--before', '3']);
  expect(last.stdout).toContain('entries 2 to 1 of 8, newest first\n');
});

test('node audit reports a truncated log from the first missing entry, and exits 1', async () => {
  const { dir, db } = copyOfNode();
  withDb(db, (raw) => raw.prepare('DELETE FROM audit_log WHERE seq > 5').run());
  const result = await biospec(['node', 'audit', '--dir', dir]);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain('AUDIT LOG DOES NOT VERIFY (5 entries in the file, hash chain intact):');
  expect(result.stdout).toMatch(/ {2}truncated from entry 6 on: the head signed at \S+ \(head file\) vouches for 8 entries, the log ends at entry 5 \(entries 6 to 8 are missing\)\n/);
});

test('node audit reports a rewritten log from the entry where the rewrite starts, and exits 1', async () => {
  const { dir, db } = copyOfNode();
  rewriteFrom(db, 4);
  const result = await biospec(['node', 'audit', '--dir', dir]);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/ {2}rewritten from entry 4 on: entry 4 no longer has the hash signed at \S+ \(database\); entries up to 3 still match a signed checkpoint\n/);
});

test('the node refuses to append to a truncated log, naming the head file to keep', async () => {
  const { dir, db } = copyOfNode();
  withDb(db, (raw) => raw.prepare('DELETE FROM audit_log WHERE seq > 6').run());
  const result = await biospec(['node', 'withdraw', '--dir', dir, '--donor', 'AUD-D0000040']);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`does not match its signed head ${db}.head: it vouches for 8 entries, the database ends at entry 6`);
});

test('audit verify checks a copied log offline with the node public keys', async () => {
  const { dir, db } = copyOfNode();
  const jwks = path.join(dir, 'node.jwks.json');
  const good = await biospec(['audit', 'verify', db, '--jwks', jwks, '--log', 'audit-node']);
  expect(good).toMatchObject({ code: 0, stdout: expect.stringMatching(/^audit log verified: 8 entries, hash chain intact, matches the head signed/) });

  const other = await biospec(['audit', 'verify', db, '--jwks', path.join(dir, 'coordinator.jwks.json')]);
  expect(other.code).toBe(1);
  expect(other.stdout).toContain('is signed with a key not given');

  withDb(db, (raw) => raw.prepare('DELETE FROM audit_log WHERE seq > 7').run());
  const truncated = await biospec(['audit', 'verify', db, '--jwks', jwks]);
  expect(truncated.code).toBe(1);
  expect(truncated.stdout).toContain('truncated from entry 8 on');
});
