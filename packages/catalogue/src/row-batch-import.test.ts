import Database from 'better-sqlite3';
import type { Issue } from '@biospec/protocol';
import { createRowBatchEncoder, ROW_BATCHES, type DonorFacts, type RowBatchSource, type SourceRow, type SpecimenRecord } from '@biospec/query';
import { openCatalogue } from './catalogue.js';
import { specimen, tempCataloguePath } from './test-helpers.js';

// The column path (rows handed over as @biospec/query row batches) must leave the catalogue
// exactly as the row path does: same rows, codes, links, donors, issues and report.

const donor = (facts: DonorFacts): SourceRow => ({ ref: `Patient/${facts.donor_id}`, donor: facts });
const linked = (record: SpecimenRecord, own: string[] = [], ageStated = false): SourceRow => ({
  ref: `Specimen/${record.sample_id}`,
  record,
  linked: { own_diagnosis: own, age_stated: ageStated },
});
const plain = (record: SpecimenRecord): SourceRow => ({ ref: `Specimen/${record.sample_id}`, record });

/** Rows of every kind the importer tells apart, donors grouped and not. */
function mixedRows(): SourceRow[] {
  const base = (sample: string, donorId: string, more: Partial<SpecimenRecord> = {}) =>
    specimen({ sample_id: sample, donor_id: donorId, diagnosis: [], sex: 'unknown', age_at_collection: null, consent: [], ...more });
  return [
    donor({ donor_id: 'D1', sex: 'female', birth_date: '1970-03-02', conditions: ['C50.1', 'I21'], consent: ['DUO:0000006'] }),
    donor({ donor_id: 'D2', sex: 'male', birth_date: null }),
    donor({ donor_id: 'D3', conditions: [], consent: [] }),
    donor({ donor_id: 'D4', sex: 'other', birth_date: '1990' }),
    linked(base('S1', 'D1', { collected_on: '2020-06-01', diagnosis: ['C50.1', 'I21'], consent: ['DUO:0000006'] })),
    linked(base('S2', 'D1', { collected_on: '2021-06-01', diagnosis: ['D05.1', 'C50.1', 'I21'] }), ['D05.1']),
    linked(base('S3', 'D1', { collected_on: '2021', age_at_collection: 7 }), [], true),
    linked(base('S3a', 'D1', { collected_on: null, parent_sample_id: 'S3', quantity: 0 })),
    linked(base('S4', 'D2', { collected_on: '2019-05', anatomical_site: 'C50.4', sex: 'female', consent: ['DUO:0000042'] }), ['C34.1']),
    linked(base('S5', 'D3', { material_type: 'tissue-ffpe', storage_temperature: 'LN', status: 'reserved', consent: ['DUO:0000007'] })),
    linked(base('S6', 'D9', { collected_on: '2018-01-01', diagnosis: ['C18.7'], age_at_collection: 60 }), ['C18.7']),
    linked(base('S7', 'D4', { collected_on: '2010-12-31', status: 'depleted' })),
    plain(base('S8', 'D5', { diagnosis: ['E11.9'], consent: ['DUO:0000042', 'DUO:0000006'], age_at_collection: 33, sex: 'male' })),
    linked(base('S9', 'D1', { collected_on: '2022-01-01' }), ['C50.1']),
    // Rows with issues: bad values, issues given, a duplicate, a repeat of a rejected id, a row without a record.
    linked(base('S10', 'D1', { material_type: 'plasma-x' as never })),
    linked(base('S11', 'D2', { collected_on: '2019-02-30', age_at_collection: 151 })),
    plain(base('', 'D2')),
    { ref: 'Specimen/S12', issues: [{ field: 'Specimen.type', message: 'a Specimen needs a type' }] },
    linked(base('S1', 'D1')),
    linked(base('S10', 'D1')),
    plain(base('S13', 'D2', { parent_sample_id: 'S13', quantity: -1 })),
    plain(base('S14', 'D2', { diagnosis: ['not a code'], consent: ['DUO:9999999'], anatomical_site: 'X1' })),
    { ref: 'Specimen/S15' },
    { line: 7, record: base('S16', 'D6') },
    donor({ donor_id: 'D7', conditions: [], consent: [] }),
    linked(base('S17', 'D7', { diagnosis: ['C61'], consent: ['DUO:0000042'] }), ['C61']),
    linked(base('S18', 'D8', { status: 'withdrawn' })),
  ];
}

/** Batches of `size` rows, made in turn by `streams` encoders (as several reading threads make them). */
function batchSource(rows: readonly SourceRow[], size: number, streams = 1): RowBatchSource {
  return {
    async *[Symbol.asyncIterator]() {
      yield* rows;
    },
    async *[ROW_BATCHES]() {
      const encoders = Array.from({ length: streams }, (_, stream) => createRowBatchEncoder(stream));
      for (let i = 0; i < rows.length; i += size) yield (encoders[(i / size) % streams] as ReturnType<typeof createRowBatchEncoder>).encode(rows.slice(i, i + size));
    },
  };
}

async function* plainRows(rows: readonly SourceRow[]): AsyncGenerator<SourceRow> {
  yield* rows;
}

/**
 * Every table an import writes, in a stable order. Row ids apart: a fresh import that builds its
 * sample index at the end takes repeats out after writing them, which leaves gaps in the ids.
 */
function dump(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const columns = (db.prepare("SELECT name FROM pragma_table_info('specimen') WHERE name <> 'id'").pluck().all() as string[]).join(', ');
    return Object.fromEntries(
      [
        ['specimen', `SELECT ${columns} FROM specimen ORDER BY id`],
        ['specimen_diagnosis', 'SELECT s.sample_id, d.code FROM specimen_diagnosis d JOIN specimen s ON s.id = d.specimen_id ORDER BY s.sample_id, d.code'],
        ['specimen_link', 'SELECT * FROM specimen_link ORDER BY sample_id'],
        ['donor', 'SELECT * FROM donor ORDER BY donor_id'],
        ['code', 'SELECT * FROM code ORDER BY kind, code'],
        ['withdrawn_donor', 'SELECT donor_id FROM withdrawn_donor ORDER BY donor_id'],
      ].map(([name, sql]) => [name, db.prepare(sql as string).all()]),
    );
  } finally {
    db.close();
  }
}

/** Imports `imports` in turn into a new catalogue, each either as rows or as batches of `size`; returns what each said and the tables. */
async function run(imports: readonly SourceRow[][], columns: boolean, size: number, lenient: boolean, withdrawn = false, streams = 1) {
  const file = tempCataloguePath();
  const catalogue = openCatalogue(file, { countIndex: 'off' });
  const outcomes: unknown[] = [];
  try {
    if (withdrawn) {
      // A withdrawn donor: its specimens stay withdrawn whatever a later import says.
      await catalogue.importRows(plainRows([plain(specimen({ sample_id: 'S0', donor_id: 'D8' }))]));
      catalogue.withdrawDonor('D8');
    }
    for (const rows of imports) {
      const rejected: Issue[][] = [];
      const progress: number[] = [];
      const options = { onProgress: (n: number) => progress.push(n), ...(lenient ? { onRejected: (issues: Issue[]) => rejected.push(issues) } : {}) };
      try {
        const { durationMs: _, ...report } = await catalogue.importRows(columns ? batchSource(rows, size, streams) : plainRows(rows), options);
        outcomes.push({ report, rejected, final: progress.at(-1) });
      } catch (error) {
        const { code, message, issues } = error as { code: string; message: string; issues: unknown };
        outcomes.push({ code, message, issues });
      }
    }
  } finally {
    catalogue.close();
  }
  return { outcomes, tables: dump(file) };
}

const valid = (rows: SourceRow[]): SourceRow[] => rows.filter((row) => row.record !== undefined && row.record.sample_id !== '');

test.each([1, 3, 64])('rows in batches of %i import exactly as one row at a time, rejected rows and later imports included', async (size) => {
  const rows = mixedRows();
  // Lenient: every rejected row is reported and the rest imported; then an update over a filled catalogue.
  const again = rows.map((row) =>
    row.record && row.record.sample_id === 'S2' ? { ...row, record: { ...row.record, quantity: 9, collected_on: '2021-07' } } : row,
  );
  const donorsOnly = [donor({ donor_id: 'D1', sex: 'male', conditions: ['C61'] }), donor({ donor_id: 'D2', consent: ['DUO:0000042'] })];
  const imports = [rows, again, donorsOnly];
  const viaRows = await run(imports, false, size, true, true);
  const viaColumns = await run(imports, true, size, true, true);
  expect(viaColumns).toEqual(viaRows);
  // Batches from several encoders, taking turns.
  expect(await run(imports, true, size, true, true, 3)).toEqual(viaRows);
  expect((viaRows.tables.specimen as unknown[]).length).toBeGreaterThan(10);

  // Strict: the same error and issues, nothing written.
  expect(await run([rows], true, size, false)).toEqual(await run([rows], false, size, false));
  // And a clean fresh import of the valid rows (the bulk path), then the same again (all unchanged).
  const clean = valid(rows).filter((row, i, all) => all.findIndex((r) => r.record?.sample_id === row.record?.sample_id) === i && row.line === undefined);
  const strictClean = [rows.filter((row) => row.donor !== undefined).concat(clean.filter((row) => !/S1[0134]$/.test(row.record?.sample_id ?? '')))];
  expect(await run([...strictClean, ...strictClean], true, size, false)).toEqual(await run([...strictClean, ...strictClean], false, size, false));
});

test('a fresh import repeating sample ids reports and skips the repeats as the row path does, also when its index is built at the end', async () => {
  const rows = mixedRows().filter((row) => row.donor !== undefined || (row.record !== undefined && row.line === undefined && /^S[1-9]a?$/.test(row.record.sample_id)));
  const again = rows.filter((row) => row.record !== undefined).slice(0, 3).map((row) => ({ ...row, record: { ...(row.record as SpecimenRecord), quantity: 5 } }));
  const imports = [[...rows, ...again]];
  for (const size of [2, 64]) {
    const viaRows = await run(imports, false, size, true);
    expect(await run(imports, true, size, true)).toEqual(viaRows);
    // S1 twice in the rows, then the three repeated at the end.
    const rejected = (viaRows.outcomes[0] as { rejected: Issue[][] }).rejected.map(([issue]) => issue?.field);
    expect(rejected).toEqual(['S1', 'S1', 'S2', 'S3'].map((id) => `Specimen/${id}.sample_id`));
    expect(await run(imports, true, size, false)).toEqual(await run(imports, false, size, false));
  }
});
