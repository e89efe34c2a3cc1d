/** Shared fixtures for this package's tests: temp catalogues, records, CSV files. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SourceRow, SpecimenRecord } from '@biospec/query';
import { BiospecError } from '@biospec/protocol';

export const CSV_HEADER =
  'sample_id,donor_id,collection_id,material_type,collected_on,diagnosis,anatomical_site,sex,age_at_collection,storage_temperature,consent,status,quantity,parent_sample_id';

const made: string[] = [];
// Under jest (whose afterAll is a global there), the folders a test file made go once its tests have run.
const afterAllTests = (globalThis as { afterAll?: (fn: () => void) => void }).afterAll;
afterAllTests?.(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'biospec-catalogue-'));
  made.push(dir);
  return dir;
}

export function tempCataloguePath(): string {
  return join(tempDir(), 'catalogue.db');
}

/** A valid record; override what the test is about. */
export function specimen(overrides: Partial<SpecimenRecord> = {}): SpecimenRecord {
  return {
    sample_id: 'S1',
    donor_id: 'D1',
    collection_id: 'COLL-A',
    material_type: 'serum',
    collected_on: '2019-05-14',
    diagnosis: ['C50.9'],
    anatomical_site: null,
    sex: 'female',
    age_at_collection: 45,
    storage_temperature: '-60to-85',
    consent: ['DUO:0000042'],
    status: 'available',
    quantity: 2,
    parent_sample_id: null,
    ...overrides,
  };
}

export async function* rowsOf(records: readonly SpecimenRecord[]): AsyncGenerator<SourceRow> {
  let line = 2;
  for (const record of records) yield { line: line++, record };
}

/** Writes a CSV file (lines joined with \n) and returns its path. */
export function writeCsv(lines: readonly string[], name = 'specimens.csv', dir = tempDir()): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** One CSV line of a record, in CSV_HEADER order. */
export function csvLine(r: SpecimenRecord): string {
  return [
    r.sample_id,
    r.donor_id,
    r.collection_id,
    r.material_type,
    r.collected_on ?? '',
    r.diagnosis.join(';'),
    r.anatomical_site ?? '',
    r.sex,
    r.age_at_collection ?? '',
    r.storage_temperature,
    r.consent.join(';'),
    r.status,
    r.quantity,
    r.parent_sample_id ?? '',
  ].join(',');
}

/** Everything a catalogue file holds, as text: equal text means equal content. */
export function contentOf(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const dump = {
      version: db.pragma('user_version', { simple: true }),
      specimens: db.prepare('SELECT * FROM specimen ORDER BY id').all(),
      diagnosis: db.prepare('SELECT * FROM specimen_diagnosis ORDER BY specimen_id, code').all(),
      codes: db.prepare('SELECT * FROM code ORDER BY kind, code').all(),
      // The catalogue id is random: two catalogues written alike differ only there.
      meta: db.prepare("SELECT * FROM meta WHERE key <> 'catalogue_id' ORDER BY key").all(),
      events: db.prepare('SELECT * FROM catalogue_events ORDER BY id').all(),
      withdrawn: db.prepare('SELECT * FROM withdrawn_donor ORDER BY donor_id').all(),
      schema: db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all(),
    };
    return JSON.stringify(dump);
  } finally {
    db.close();
  }
}

/** The decoded records of a catalogue file, by sample id. */
export function recordsOf(path: string): Record<string, Record<string, unknown>> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT * FROM specimen_record ORDER BY sample_id').all() as { sample_id: string }[];
    return Object.fromEntries(rows.map((row) => [row.sample_id, row]));
  } finally {
    db.close();
  }
}

/** The BiospecError a promise rejects with; fails the test if it resolves or throws anything else. */
export async function rejection(promise: Promise<unknown>): Promise<BiospecError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BiospecError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
