import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCatalogue } from '@biospec/catalogue';
import { biospec } from './harness/cli.js';

let work: string;
let nodeDir: string;
let good: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-cli-'));
  nodeDir = path.join(work, 'node');
  good = path.join(work, 'export.csv');
  expect((await biospec(['generate', '--out', good, '--donors', '120', '--seed', '5', '--prefix', 'CLI'])).code).toBe(0);
  const init = await biospec(['node', 'init', '--dir', nodeDir, '--id', 'cli-node', '--name', 'CLI Test Biobank']);
  expect(init.code).toBe(0);
  const first = await biospec(['node', 'import', good, '--dir', nodeDir]);
  expect(first.stderr).toBe('');
  expect(first.stdout).toMatch(/added \d+, changed 0, unchanged 0, removed 0, rejected 0/);
}, 60_000);

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

/** What a user can observe of the catalogue: size, epoch and a fingerprint of every row. */
async function snapshot() {
  const catalogue = openCatalogue(path.join(nodeDir, 'catalogue.db'));
  try {
    return { size: catalogue.size(), epoch: catalogue.epoch(), donors: (await catalogue.count({ unit: 'donors' })).total, aliquots: (await catalogue.count({ unit: 'aliquots' })).total };
  } finally {
    catalogue.close();
  }
}

/** Copies the good export with one edit, so each bad file differs from a valid one in exactly one way. */
function variant(name: string, edit: (lines: string[]) => string[]): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, edit(fs.readFileSync(good, 'utf8').trimEnd().split('\n')).join('\n') + '\n');
  return file;
}

function setCell(lines: string[], lineNo: number, column: string, value: string): string[] {
  const header = lines[0]!.split(',');
  const index = header.indexOf(column);
  const out = [...lines];
  const cells = out[lineNo - 1]!.split(',');
  cells[index] = value;
  out[lineNo - 1] = cells.join(',');
  return out;
}

const BAD: [string, (lines: string[]) => string[], RegExp][] = [
  [
    'a missing column',
    (lines) => {
      const header = lines[0]!.split(',');
      const drop = header.indexOf('material_type');
      return lines.map((l) => l.split(',').filter((_, i) => i !== drop).join(','));
    },
    /line 1.*material_type|material_type.*missing/i,
  ],
  ['a bad date', (lines) => setCell(lines, 5, 'collected_on', '2019-02-30'), /line 5, field collected_on/],
  ['an unknown material type', (lines) => setCell(lines, 7, 'material_type', 'blood'), /line 7, field material_type/],
  ['a negative quantity', (lines) => setCell(lines, 9, 'quantity', '-3'), /line 9, field quantity/],
];

test.each(BAD)('a CSV with %s imports nothing and names the line and field', async (name, edit, message) => {
  const before = await snapshot();
  const result = await biospec(['node', 'import', variant(`${name.replace(/\W+/g, '-')}.csv`, edit), '--dir', nodeDir]);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/INVALID_DATA/);
  expect(result.stderr).toMatch(message);
  expect(await snapshot()).toEqual(before);
});

test('every bad row is reported, not just the first', async () => {
  const file = variant('many-bad.csv', (lines) => setCell(setCell(setCell(lines, 3, 'sex', 'f'), 4, 'age_at_collection', '200'), 6, 'status', 'lost'));
  const result = await biospec(['node', 'import', file, '--dir', nodeDir]);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/line 3, field sex/);
  expect(result.stderr).toMatch(/line 4, field age_at_collection/);
  expect(result.stderr).toMatch(/line 6, field status/);
});

test('re-importing the same file duplicates nothing and keeps the data epoch', async () => {
  const before = await snapshot();
  const again = await biospec(['node', 'import', good, '--dir', nodeDir]);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/added 0, changed 0, unchanged \d+, removed 0/);
  expect(await snapshot()).toEqual(before);
});

test('withdrawing a donor removes every one of their specimens at once, bumps the epoch and is audited', async () => {
  const rows = fs.readFileSync(good, 'utf8').trimEnd().split('\n').slice(1);
  const donor = rows.map((r) => r.split(',')[1]!).find((d, _, all) => all.filter((x) => x === d).length >= 3)!;
  const before = await snapshot();
  const result = await biospec(['node', 'withdraw', '--dir', nodeDir, '--donor', donor]);
  expect(result.code).toBe(0);
  const after = await snapshot();
  expect(after.donors).toBe(before.donors - 1);
  expect(after.epoch).toBeGreaterThan(before.epoch);
  const audit = await biospec(['node', 'audit', '--dir', nodeDir]);
  expect(audit.stdout).toContain(donor);
  expect(audit.stdout).toMatch(/withdrawal\s+withdrawn/);
  expect(audit.stdout).toMatch(/hash chain intact/);
});

test('unknown donors and missing files are clear errors', async () => {
  const missing = await biospec(['node', 'withdraw', '--dir', nodeDir, '--donor', 'NOBODY']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/NOT_FOUND/);
  const nofile = await biospec(['node', 'import', path.join(work, 'nope.csv'), '--dir', nodeDir]);
  expect(nofile.stderr).toMatch(/no such file/);
});

test('every command has --help', async () => {
  for (const args of [[], ['node'], ['node', 'import'], ['coordinator'], ['coordinator', 'researcher', 'add'], ['query'], ['verify'], ['demo'], ['keys', 'generate']]) {
    const help = await biospec([...args, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: biospec/);
  }
});
