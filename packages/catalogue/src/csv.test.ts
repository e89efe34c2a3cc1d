import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BiospecError } from '@biospec/protocol';
import { referenceCount, type Query } from '@biospec/query';
import { openCatalogue, type Catalogue } from './catalogue.js';
import { loadColumnMapping, parseColumnMapping } from './column-mapping.js';
import { importCsv, readCsv } from './csv.js';
import { WORKER_MIN_BYTES } from './csv-parallel.js';
import { importWorkerScript } from './import-runner.js';
import { compiledWorker } from './worker-script.js';
import { MAX_REPORTED_ISSUES } from './issue-log.js';
import { CSV_HEADER, contentOf, csvLine, recordsOf, specimen, tempCataloguePath, tempDir, writeCsv, rejection } from './test-helpers.js';

const GOOD = [
  csvLine(specimen({ sample_id: 'S1', donor_id: 'D1' })),
  csvLine(specimen({ sample_id: 'S2', donor_id: 'D1', material_type: 'dna', parent_sample_id: 'S1' })),
  csvLine(specimen({ sample_id: 'S3', donor_id: 'D2', diagnosis: [], consent: [], collected_on: null, age_at_collection: null })),
];

describe('CSV import: every bad input is its own located error and changes nothing', () => {
  let catalogue: Catalogue;
  let path: string;
  let before: string;

  beforeAll(async () => {
    path = tempCataloguePath();
    catalogue = openCatalogue(path);
    await importCsv(catalogue, writeCsv([CSV_HEADER, csvLine(specimen({ sample_id: 'OLD-1', donor_id: 'D0' }))]));
    before = contentOf(path);
  });
  afterAll(() => catalogue.close());

  /** [case, bad line (replaces the 3rd data row, file line 4), field, message pattern] */
  const cases: [string, string, string | undefined, RegExp][] = [
    ['impossible date', csvLine(specimen({ sample_id: 'B', collected_on: '2019-02-30' })), 'collected_on', /'2019-02-30'.*day 30 does not exist/],
    ['malformed date', csvLine(specimen({ sample_id: 'B', collected_on: '14/05/2019' })), 'collected_on', /expected an ISO date/],
    ['unknown material type', 'B,D9,C,blood,,,,female,40,LN,,available,1,', 'material_type', /unknown material type 'blood'; allowed: whole-blood, serum/],
    ['negative quantity', 'B,D9,C,serum,,,,female,40,LN,,available,-1,', 'quantity', /quantity -1 is negative/],
    ['non-numeric quantity', 'B,D9,C,serum,,,,female,40,LN,,available,lots,', 'quantity', /quantity 'lots' is not a number/],
    ['empty quantity', 'B,D9,C,serum,,,,female,40,LN,,available,,', 'quantity', /quantity is empty/],
    ['age above 150', 'B,D9,C,serum,,,,female,151,LN,,available,1,', 'age_at_collection', /151 is outside 0\.\.150/],
    ['fractional age', 'B,D9,C,serum,,,,female,40.5,LN,,available,1,', 'age_at_collection', /40\.5 is not a whole number/],
    ['non-numeric age', 'B,D9,C,serum,,,,female,old,LN,,available,1,', 'age_at_collection', /'old' is not a number/],
    ['unknown sex', 'B,D9,C,serum,,,,F,40,LN,,available,1,', 'sex', /unknown sex 'F'; allowed: female, male, other, unknown/],
    ['unknown status', 'B,D9,C,serum,,,,female,40,LN,,lost,1,', 'status', /unknown status 'lost'; allowed: available/],
    ['unknown storage temperature', 'B,D9,C,serum,,,,female,40,-80,,available,1,', 'storage_temperature', /unknown storage temperature '-80'; allowed: RT, 2to10/],
    ['diagnosis not ICD-10', 'B,D9,C,serum,,C50.9;XYZ,,female,40,LN,,available,1,', 'diagnosis', /'XYZ' is not an ICD-10 code/],
    ['anatomical site not topography', 'B,D9,C,serum,,,Z99.1,female,40,LN,,available,1,', 'anatomical_site', /'Z99.1' is not an ICD-O-3 topography code/],
    ['unknown DUO code', 'B,D9,C,serum,,,,female,40,LN,DUO:0000042;DUO:9999999,available,1,', 'consent', /'DUO:9999999' is not a known DUO term/],
    ['empty sample_id', ',D9,C,serum,,,,female,40,LN,,available,1,', 'sample_id', /sample_id is empty/],
    ['empty donor_id', 'B,,C,serum,,,,female,40,LN,,available,1,', 'donor_id', /donor_id is empty/],
    ['own parent', 'B,D9,C,serum,,,,female,40,LN,,available,1,B', 'parent_sample_id', /equals the sample's own sample_id 'B'/],
    ['too few cells', 'B,D9,C,serum', undefined, /expected 14 cells as in the header, found 4/],
    ['too many cells', `${csvLine(specimen({ sample_id: 'B' }))},extra`, undefined, /expected 14 cells as in the header, found 15/],
  ];

  test.each(cases)('%s', async (_name, badLine, field, message) => {
    const file = writeCsv([CSV_HEADER, GOOD[0] as string, GOOD[1] as string, badLine, GOOD[2] as string]);
    const error = await rejection(importCsv(catalogue, file));
    expect(error.code).toBe('INVALID_DATA');
    expect(error.message).toBe('1 of 4 rows rejected; nothing was imported');
    expect(error.issues).toHaveLength(1);
    const issue = error.issues[0];
    expect(issue?.line).toBe(4);
    expect(issue?.field).toBe(field);
    expect(issue?.message).toMatch(message);
    expect(contentOf(path)).toBe(before);
    expect(catalogue.size()).toBe(1);
    expect(catalogue.epoch()).toBe(1);
  });

  test('a duplicate sample_id names both lines', async () => {
    const file = writeCsv([CSV_HEADER, GOOD[0] as string, GOOD[1] as string, GOOD[0] as string]);
    const error = await rejection(importCsv(catalogue, file));
    expect(error.issues).toEqual([{ line: 4, field: 'sample_id', message: "duplicate sample_id 'S1' (first on line 2)" }]);
    expect(contentOf(path)).toBe(before);
  });

  test('every bad row is reported, each problem of a row separately', async () => {
    const file = writeCsv([
      CSV_HEADER,
      'B1,D9,C,blood,,,,F,40,LN,,available,1,',
      GOOD[0] as string,
      'B2,D9,C,serum,2019-13,,,female,40,LN,,available,-2,',
    ]);
    const error = await rejection(importCsv(catalogue, file));
    expect(error.message).toBe('2 of 3 rows rejected; nothing was imported');
    expect(error.issues.map((i) => [i.line, i.field])).toEqual([
      [2, 'material_type'],
      [2, 'sex'],
      [4, 'collected_on'],
      [4, 'quantity'],
    ]);
    expect(contentOf(path)).toBe(before);
  });

  test('the issue list is capped but every rejected row is counted', async () => {
    const bad = Array.from({ length: MAX_REPORTED_ISSUES + 500 }, (_, i) => `X${i},D9,C,blood,,,,female,40,LN,,available,1,`);
    const error = await rejection(importCsv(catalogue, writeCsv([CSV_HEADER, ...bad, GOOD[0] as string])));
    expect(error.message).toBe(`${MAX_REPORTED_ISSUES + 500} of ${MAX_REPORTED_ISSUES + 501} rows rejected; nothing was imported`);
    expect(error.issues).toHaveLength(MAX_REPORTED_ISSUES);
    expect(contentOf(path)).toBe(before);
  });

  test('missing columns are one error at line 1 naming them', async () => {
    const header = CSV_HEADER.replace('sex,', '').replace(',quantity', '').replace('diagnosis,', '');
    const error = await rejection(importCsv(catalogue, writeCsv([header])));
    expect(error.code).toBe('INVALID_DATA');
    expect(error.issues).toEqual([
      { line: 1, field: 'sex, quantity', message: 'missing required column(s): sex, quantity' },
    ]);
    expect(contentOf(path)).toBe(before);
  });

  test('optional columns may be left out entirely', async () => {
    const header = 'sample_id,donor_id,collection_id,material_type,sex,storage_temperature,status,quantity';
    const rows: string[] = [];
    for await (const row of readCsv(writeCsv([header, 'N1,D5,C,urine,male,RT,available,3']))) rows.push(JSON.stringify(row));
    expect(rows.map((r) => JSON.parse(r))).toEqual([
      {
        line: 2,
        record: specimen({
          sample_id: 'N1', donor_id: 'D5', collection_id: 'C', material_type: 'urine', sex: 'male', storage_temperature: 'RT',
          quantity: 3, collected_on: null, diagnosis: [], consent: [], age_at_collection: null,
        }),
      },
    ]);
  });

  test('unknown columns are rejected, naming them', async () => {
    const error = await rejection(importCsv(catalogue, writeCsv([`${CSV_HEADER},remark`, `${GOOD[0]},x`])));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.line).toBe(1);
    expect(error.issues[0]?.message).toMatch(/unknown column\(s\) 'remark'/);
    expect(contentOf(path)).toBe(before);
  });

  test('line numbers count physical lines: quoted newlines and blank lines', async () => {
    const file = writeCsv([
      CSV_HEADER,
      'Q1,D9,"COLL\nWITH NEWLINE",serum,,,,female,40,LN,,available,1,',
      '',
      'Q2,D9,C,blood,,,,female,40,LN,,available,1,',
    ]);
    const error = await rejection(importCsv(catalogue, file));
    expect(error.issues.map((i) => i.line)).toEqual([5]);
  });

  test('lines stay exact across file read chunks, with CRLF line ends and quoted newlines', async () => {
    // About 1.2 MB: records straddle the 512 KiB reads.
    const rows = Array.from({ length: 12_000 }, (_, i) =>
      i === 6_000
        ? `Q${i},D9,"COLL\r\nSPLIT",serum,,,,female,40,LN,,available,1,`
        : csvLine(specimen({ sample_id: `Q${i}`, donor_id: `D${i >> 2}`, collection_id: `C-${'x'.repeat(60)}` })),
    );
    rows[11_000] = 'Q11000,D9,C,blood,,,,female,40,LN,,available,1,';
    const file = writeCsv([CSV_HEADER, ...rows].map((row) => `${row}\r`));
    const error = await rejection(importCsv(catalogue, file));
    // Header on line 1, row i on line i + 2, plus one for the quoted newline before row 11000.
    expect(error.issues).toEqual([expect.objectContaining({ line: 11_003, field: 'material_type' })]);
    expect(contentOf(path)).toBe(before);
  });

  test('a CSV syntax error is INVALID_DATA with its line', async () => {
    const file = writeCsv([CSV_HEADER, GOOD[0] as string, 'Q1,D9,"unterminated,serum,,,,female,40,LN,,available,1,']);
    const error = await rejection(importCsv(catalogue, file));
    expect(error.code).toBe('INVALID_DATA');
    expect(error.message).toMatch(/CSV syntax error/);
    expect(error.issues[0]?.line).toBeGreaterThanOrEqual(3);
    expect(contentOf(path)).toBe(before);
  });

  test('a missing file is NOT_FOUND', async () => {
    const error = await rejection(importCsv(catalogue, join(tempDir(), 'nope.csv')));
    expect(error.code).toBe('NOT_FOUND');
  });

  test('values are trimmed, codes normalised, quoted cells and CRLF accepted', async () => {
    const dir = tempDir();
    const file = join(dir, 'crlf.csv');
    writeFileSync(
      file,
      `\ufeff${CSV_HEADER}\r\n Q1 ,D9,"COLL, with comma",serum,2019,c509; c18 ,c504,female,40,LN,DUO:0000006,available,1.5,\r\n`,
    );
    const rows = [];
    for await (const row of readCsv(file)) rows.push(row);
    expect(rows).toEqual([
      {
        line: 2,
        record: specimen({
          sample_id: 'Q1', donor_id: 'D9', collection_id: 'COLL, with comma', collected_on: '2019', diagnosis: ['C50.9', 'C18'],
          anatomical_site: 'C50.4', storage_temperature: 'LN', consent: ['DUO:0000006'], quantity: 1.5, age_at_collection: 40,
        }),
      },
    ]);
  });
});

describe('column mapping', () => {
  const LIMS = [
    'Proben-ID;Spender;Sammlung;Probenart;Entnahmedatum;Diagnose;Lokalisation;Geschlecht;Alter;Lagerung;Einwilligung;Status;Menge;Elternprobe;Bemerkung',
    'P-1;SP-1;Brustkrebs;Serum;14.05.2019;C50.9;;weiblich;45;-80 °C;GRU;verfügbar;2;;erste Probe',
    'P-2;SP-1;Brustkrebs;FFPE;03.2018;C50.4|C77.3;C50.4;weiblich;44;Raumtemperatur;GRU|HMB;verfügbar;1;;',
    'P-3;SP-2;Brustkrebs;DNA;2020;;;männlich;;-80 °C;;reserviert;0.5;P-1;',
  ];
  const MAPPING = {
    delimiter: ';',
    multiValueSeparator: '|',
    dateFormat: 'DD.MM.YYYY',
    columns: {
      'Proben-ID': 'sample_id',
      Spender: 'donor_id',
      Sammlung: 'collection_id',
      Probenart: 'material_type',
      Entnahmedatum: 'collected_on',
      Diagnose: 'diagnosis',
      Lokalisation: 'anatomical_site',
      Geschlecht: 'sex',
      Alter: 'age_at_collection',
      Lagerung: 'storage_temperature',
      Einwilligung: 'consent',
      Status: 'status',
      Menge: 'quantity',
      Elternprobe: 'parent_sample_id',
    },
    ignoreColumns: ['Bemerkung'],
    values: {
      material_type: { Serum: 'serum', FFPE: 'tissue-ffpe', DNA: 'dna' },
      sex: { weiblich: 'female', männlich: 'male' },
      storage_temperature: { '-80 °C': '-60to-85', Raumtemperatur: 'RT' },
      consent: { GRU: 'DUO:0000042', HMB: 'DUO:0000006' },
      status: { verfügbar: 'available', reserviert: 'reserved' },
    },
  };

  test('a LIMS export with German headers and dates loads without editing it', async () => {
    const dir = tempDir();
    const mappingPath = join(dir, 'mapping.json');
    writeFileSync(mappingPath, JSON.stringify(MAPPING));
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path);
    const report = await importCsv(catalogue, writeCsv(LIMS, 'export.csv', dir), { mapping: loadColumnMapping(mappingPath) });
    expect(report).toMatchObject({ added: 3, changed: 0, unchanged: 0, removed: 0, rejected: 0, epoch: 1 });
    catalogue.close();
    expect(recordsOf(path)).toEqual({
      'P-1': {
        sample_id: 'P-1', donor_id: 'SP-1', collection_id: 'Brustkrebs', material_type: 'serum', collected_on: '2019-05-14',
        diagnosis: 'C50.9', anatomical_site: null, sex: 'female', age_at_collection: 45, storage_temperature: '-60to-85',
        consent: 'DUO:0000042', status: 'available', quantity: 2, parent_sample_id: null, root_id: 'P-1',
      },
      'P-2': {
        sample_id: 'P-2', donor_id: 'SP-1', collection_id: 'Brustkrebs', material_type: 'tissue-ffpe', collected_on: '2018-03',
        diagnosis: 'C50.4;C77.3', anatomical_site: 'C50.4', sex: 'female', age_at_collection: 44, storage_temperature: 'RT',
        consent: 'DUO:0000042;DUO:0000006', status: 'available', quantity: 1, parent_sample_id: null, root_id: 'P-2',
      },
      'P-3': {
        sample_id: 'P-3', donor_id: 'SP-2', collection_id: 'Brustkrebs', material_type: 'dna', collected_on: '2020',
        diagnosis: null, anatomical_site: null, sex: 'male', age_at_collection: null, storage_temperature: '-60to-85',
        consent: '', status: 'reserved', quantity: 0.5, parent_sample_id: 'P-1', root_id: 'P-1',
      },
    });
  });

  test('a date not in the declared format names the format', async () => {
    const catalogue = openCatalogue(tempCataloguePath());
    const lines = [LIMS[0] as string, 'P-9;SP-9;B;Serum;2019-05-14;;;weiblich;45;-80 °C;;verfügbar;2;;'];
    const error = await rejection(importCsv(catalogue, writeCsv(lines), { mapping: parseColumnMapping(MAPPING) }));
    expect(error.issues).toEqual([
      { line: 2, field: 'collected_on', message: "date '2019-05-14' does not match the date format DD.MM.YYYY" },
    ]);
    const impossible = [LIMS[0] as string, 'P-9;SP-9;B;Serum;30.02.2019;;;weiblich;45;-80 °C;;verfügbar;2;;'];
    const error2 = await rejection(importCsv(catalogue, writeCsv(impossible), { mapping: parseColumnMapping(MAPPING) }));
    expect(error2.issues[0]?.message).toMatch(/day 30 does not exist in 2019-02 \(written '30.02.2019'\)/);
    catalogue.close();
  });

  test('two columns for one field are a header error', async () => {
    const catalogue = openCatalogue(tempCataloguePath());
    const mapping = parseColumnMapping({ columns: { 'Proben-ID': 'sample_id' } });
    const error = await rejection(importCsv(catalogue, writeCsv([`Proben-ID,${CSV_HEADER}`]), { mapping }));
    expect(error.issues).toEqual([{ line: 1, field: 'sample_id', message: "columns 'Proben-ID' and 'sample_id' both give sample_id" }]);
    catalogue.close();
  });

  test.each([
    [{ columns: {}, delimiters: ';' }, 'delimiters', /unknown key 'delimiters'; allowed: delimiter, columns/],
    [{ columns: { Probe: 'sample' } }, 'columns.Probe', /unknown catalogue field "sample"/],
    [{ columns: {}, dateFormat: 'YYYY/MM/DD' }, 'dateFormat', /dateFormat must be one of YYYY-MM-DD, DD.MM.YYYY, MM\/DD\/YYYY/],
    [{ columns: {}, delimiter: ';;' }, 'delimiter', /exactly one character/],
    [{ columns: {}, values: { colour: {} } }, 'values.colour', /unknown catalogue field/],
    [{}, 'columns', /./],
  ])('a bad mapping is INVALID_CONFIG naming the key (%j)', (mapping, field, message) => {
    let error: BiospecError | undefined;
    try {
      parseColumnMapping(mapping);
    } catch (e) {
      error = e as BiospecError;
    }
    expect(error?.code).toBe('INVALID_CONFIG');
    const issue = error?.issues[0];
    expect(issue?.field ?? '').toBe(field);
    expect(issue?.message).toMatch(message);
  });

  test('an unreadable or non-JSON mapping file is INVALID_CONFIG', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), '{ columns: ');
    expect(() => loadColumnMapping(join(dir, 'bad.json'))).toThrow(/not valid JSON/);
    expect(() => loadColumnMapping(join(dir, 'missing.json'))).toThrow(/cannot read column mapping/);
  });

  test('MM/DD/YYYY dates keep their precision', async () => {
    const mapping = parseColumnMapping({ columns: {}, dateFormat: 'MM/DD/YYYY' });
    const line = csvLine(specimen({ collected_on: '05/14/2019' }));
    const line2 = csvLine(specimen({ sample_id: 'S2', collected_on: '05/2019' }));
    const dates: (string | null | undefined)[] = [];
    for await (const row of readCsv(writeCsv([CSV_HEADER, line, line2]), { mapping })) dates.push(row.record?.collected_on);
    expect(dates).toEqual(['2019-05-14', '2019-05']);
  });
});

describe('a large file: parsed on the CSV worker thread, imported on the import worker', () => {
  // 48,000 rows of about 96 bytes: past the size from which parsing moves to its worker.
  const records = Array.from({ length: 48_000 }, (_, i) =>
    specimen({
      sample_id: `L${i}`,
      donor_id: `D${Math.floor(i / 4)}`,
      parent_sample_id: i % 4 === 0 ? null : `L${i - (i % 4)}`,
      material_type: (['serum', 'plasma', 'dna', 'tissue-ffpe'] as const)[i % 4],
      age_at_collection: 18 + (i % 70),
      diagnosis: i % 3 === 0 ? ['C50.9'] : ['E11.9', 'I10'],
    }),
  );
  const large = (edit: (lines: string[]) => string[] = (l) => l) => writeCsv(edit([CSV_HEADER, ...records.map(csvLine)]), 'large.csv');

  test('the file is large enough, and both workers are built', () => {
    expect(statSync(large()).size).toBeGreaterThanOrEqual(WORKER_MIN_BYTES);
    expect(compiledWorker('csv-worker.js', import.meta.url.replace(/csv\.test\.ts$/, 'csv-parallel.ts'))).toBeDefined();
    expect(importWorkerScript()).toBeDefined();
  });

  test('imports every row, with progress, and counts as the reference evaluator does', async () => {
    const csv = openCatalogue(tempCataloguePath(), { countIndex: 'off' });
    const bytes: number[] = [];
    const report = await importCsv(csv, large(), { onBytes: (read) => bytes.push(read) });
    expect(report).toMatchObject({ added: 48_000, rejected: 0, epoch: 1 });
    expect(bytes.length).toBeGreaterThan(1);
    for (const query of [
      { unit: 'specimens', stratify: ['material_type'] },
      { unit: 'donors', where: { op: 'diagnosis', codes: ['C50'] } },
      { unit: 'aliquots', where: { op: 'age_range', min: 30, max: 40 }, stratify: ['age_band'] },
    ] satisfies Query[]) {
      const { epoch, ...figures } = await csv.count(query);
      expect(epoch).toBe(1);
      expect(figures).toEqual(referenceCount(query, records));
    }
    csv.close();
  });

  test('a bad row deep in the file rejects the import, naming its line, and nothing is written', async () => {
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path, { countIndex: 'off' });
    const before = contentOf(path);
    // Line 46,002: the header is line 1, record i is line i + 2.
    const file = large((lines) => lines.map((line, i) => (i === 46_001 ? line.replace(',serum,', ',blood,').replace(',plasma,', ',blood,').replace(',dna,', ',blood,').replace(',tissue-ffpe,', ',blood,') : line)));
    const error = await rejection(importCsv(catalogue, file));
    expect(error.code).toBe('INVALID_DATA');
    expect(error.message).toBe('1 of 48000 rows rejected; nothing was imported');
    expect(error.issues).toEqual([expect.objectContaining({ line: 46_002, field: 'material_type' })]);
    expect(contentOf(path)).toBe(before);
    catalogue.close();
  });
});
