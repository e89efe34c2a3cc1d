import Database from 'better-sqlite3';
import type { SourceRow, SpecimenRecord } from '@biospec/query';
import { openCatalogue } from './catalogue.js';
import { importCsv, readCsv } from './csv.js';
import { CSV_HEADER, contentOf, csvLine, recordsOf, rowsOf, specimen, tempCataloguePath, writeCsv, rejection } from './test-helpers.js';

function indexesOf(path: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").all();
  } finally {
    db.close();
  }
}

/** Enough rows to span several write buffers: donors with a primary, a derivative and an aliquot of it. */
function family(count: number): SpecimenRecord[] {
  const records: SpecimenRecord[] = [];
  for (let d = 0; d < count; d++) {
    const primary = `P${d}`;
    records.push(
      specimen({ sample_id: primary, donor_id: `D${d}`, diagnosis: d % 3 === 0 ? [] : ['C50.9', 'E11'] }),
      specimen({ sample_id: `${primary}-dna`, donor_id: `D${d}`, material_type: 'dna', parent_sample_id: primary }),
      specimen({ sample_id: `${primary}-dna-1`, donor_id: `D${d}`, material_type: 'dna', parent_sample_id: `${primary}-dna`, quantity: d }),
    );
  }
  return records;
}

describe('the encoded CSV path and the record path write the same catalogue', () => {
  test('fresh import, re-import and a changed re-import', async () => {
    const records = family(150);
    const file = writeCsv([CSV_HEADER, ...records.map(csvLine)]);
    const viaCsv = tempCataloguePath();
    const viaRows = tempCataloguePath();
    const a = openCatalogue(viaCsv, { countIndex: 'off' });
    const b = openCatalogue(viaRows, { countIndex: 'off' });
    expect(await importCsv(a, file)).toMatchObject({ added: 450, changed: 0 });
    expect(await b.importRows(readCsv(file))).toMatchObject({ added: 450, changed: 0 });
    const strip = (content: string) => content.replace(/"events":\[.*?\],"withdrawn"/, '');
    expect(strip(contentOf(viaCsv))).toBe(strip(contentOf(viaRows)));
    expect(recordsOf(viaCsv)['P7-dna-1']).toMatchObject({ root_id: 'P7' });

    expect(await importCsv(a, file)).toMatchObject({ added: 0, changed: 0, unchanged: 450, epoch: 1 });
    const changed = records.map((r) => (r.sample_id === 'P5-dna' ? { ...r, parent_sample_id: 'P6' } : r));
    expect(await importCsv(a, writeCsv([CSV_HEADER, ...changed.map(csvLine)]))).toMatchObject({ changed: 1, unchanged: 449 });
    expect(recordsOf(viaCsv)['P5-dna-1']).toMatchObject({ root_id: 'P6' });
    a.close();
    b.close();
  });

  test('parents several write buffers before their children give them their roots in a fresh import', async () => {
    // Aliquots after every primary and derivative: their parents' roots are found only by the full resolution.
    const aliquot = (r: SpecimenRecord) => r.sample_id.endsWith('-dna-1');
    const listed = family(300);
    const file = writeCsv([CSV_HEADER, ...[...listed.filter((r) => !aliquot(r)), ...listed.filter(aliquot)].map(csvLine)]);
    const viaCsv = tempCataloguePath();
    const viaRows = tempCataloguePath();
    const a = openCatalogue(viaCsv, { countIndex: 'off' });
    const b = openCatalogue(viaRows, { countIndex: 'off' });
    expect(await importCsv(a, file)).toMatchObject({ added: 900 });
    expect(await b.importRows(readCsv(file))).toMatchObject({ added: 900 });
    const records = recordsOf(viaCsv);
    expect(records['P3-dna-1']).toMatchObject({ root_id: 'P3' });
    expect(records['P299-dna']).toMatchObject({ root_id: 'P299' });
    const strip = (content: string) => content.replace(/"events":\[.*?\],"withdrawn"/, '');
    expect(strip(contentOf(viaCsv))).toBe(strip(contentOf(viaRows)));
    const empty = tempCataloguePath();
    openCatalogue(empty, { countIndex: 'off' }).close();
    expect(indexesOf(viaCsv)).toEqual(indexesOf(empty));
    a.close();
    b.close();
  });

  test('children listed before their parents get their roots in a fresh import', async () => {
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path, { countIndex: 'off' });
    await importCsv(catalogue, writeCsv([CSV_HEADER, ...family(100).reverse().map(csvLine)]));
    const records = recordsOf(path);
    expect(records['P42-dna-1']).toMatchObject({ root_id: 'P42' });
    expect(records['P42-dna']).toMatchObject({ root_id: 'P42' });
    expect(records.P42).toMatchObject({ root_id: 'P42' });
    catalogue.close();
  });
});

describe('duplicates and cycles across write buffers', () => {
  test('a duplicate far from its first line is found, in a fresh and in a filled catalogue', async () => {
    const records = family(100);
    const lines = [CSV_HEADER, ...records.map(csvLine), csvLine(records[10] as SpecimenRecord)];
    for (const filled of [false, true]) {
      const path = tempCataloguePath();
      const catalogue = openCatalogue(path, { countIndex: 'off' });
      if (filled) await catalogue.importRows(rowsOf([specimen({ sample_id: 'OTHER' })]));
      const before = contentOf(path);
      const error = await rejection(importCsv(catalogue, writeCsv(lines)));
      expect(error.message).toBe('1 of 301 rows rejected; nothing was imported');
      expect(error.issues).toEqual([{ line: 302, field: 'sample_id', message: `duplicate sample_id '${records[10]?.sample_id}' (first on line 12)` }]);
      expect(contentOf(path)).toBe(before);
      catalogue.close();
    }
  });

  test('issues stay in row order when duplicates and bad rows mix', async () => {
    const catalogue = openCatalogue(tempCataloguePath(), { countIndex: 'off' });
    const records = family(40);
    const lines = [CSV_HEADER, ...records.map(csvLine)];
    lines.splice(100, 0, csvLine(records[0] as SpecimenRecord), 'B,D9,C,blood,,,,female,40,LN,,available,1,');
    const error = await rejection(importCsv(catalogue, writeCsv(lines)));
    expect(error.issues.map((i) => [i.line, i.field])).toEqual([
      [101, 'sample_id'],
      [102, 'material_type'],
    ]);
    catalogue.close();
  });

  test('every repeat of a sample id names the first line, across buffers, in a fresh import', async () => {
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path, { countIndex: 'off' });
    const records = family(100);
    const lines = [CSV_HEADER, ...records.map(csvLine)];
    lines.splice(250, 0, csvLine(records[5] as SpecimenRecord));
    lines.push(csvLine(records[280] as SpecimenRecord), csvLine(records[5] as SpecimenRecord));
    const before = contentOf(path);
    const error = await rejection(importCsv(catalogue, writeCsv(lines)));
    expect(error.message).toBe('3 of 303 rows rejected; nothing was imported');
    expect(error.issues).toEqual([
      { line: 251, field: 'sample_id', message: `duplicate sample_id '${records[5]?.sample_id}' (first on line 7)` },
      { line: 303, field: 'sample_id', message: `duplicate sample_id '${records[280]?.sample_id}' (first on line 283)` },
      { line: 304, field: 'sample_id', message: `duplicate sample_id '${records[5]?.sample_id}' (first on line 7)` },
    ]);
    expect(contentOf(path)).toBe(before);
    catalogue.close();
  });

  test('repeats written before a bad row in a later buffer are reported before it, and repeats after it too', async () => {
    const catalogue = openCatalogue(tempCataloguePath(), { countIndex: 'off' });
    const records = family(150);
    const lines = [CSV_HEADER, ...records.map(csvLine)];
    lines.splice(300, 0, 'B,D9,C,blood,,,,female,40,LN,,available,1,');
    lines.splice(50, 0, csvLine(records[1] as SpecimenRecord));
    lines.push(csvLine(records[1] as SpecimenRecord), csvLine(records[400] as SpecimenRecord));
    const error = await rejection(importCsv(catalogue, writeCsv(lines)));
    expect(error.message).toBe('4 of 454 rows rejected; nothing was imported');
    expect(error.issues).toEqual([
      { line: 51, field: 'sample_id', message: `duplicate sample_id '${records[1]?.sample_id}' (first on line 3)` },
      { line: 302, field: 'material_type', message: expect.any(String) },
      { line: 454, field: 'sample_id', message: `duplicate sample_id '${records[1]?.sample_id}' (first on line 3)` },
      { line: 455, field: 'sample_id', message: `duplicate sample_id '${records[400]?.sample_id}' (first on line 404)` },
    ]);
    expect(catalogue.size()).toBe(0);
    catalogue.close();
  });

  test('a record rejected for its fields still counts when its sample id comes again', async () => {
    const catalogue = openCatalogue(tempCataloguePath(), { countIndex: 'off' });
    async function* rows(): AsyncGenerator<SourceRow> {
      let line = 2;
      for (const record of family(30)) yield { line: line++, record };
      yield { line: line++, record: specimen({ sample_id: 'X', quantity: -1 }) };
      for (const record of family(30)) yield { line: line++, record: { ...record, sample_id: `again-${record.sample_id}` } };
      yield { line: line++, record: specimen({ sample_id: 'X' }) };
    }
    const error = await rejection(catalogue.importRows(rows()));
    expect(error.message).toBe('2 of 182 rows rejected; nothing was imported');
    expect(error.issues).toEqual([
      { line: 92, field: 'quantity', message: 'quantity -1 is negative; it counts aliquots or amount left' },
      { line: 183, field: 'sample_id', message: "duplicate sample_id 'X' (first on line 92)" },
    ]);
    expect(catalogue.size()).toBe(0);
    catalogue.close();
  });

  test('a cycle in a fresh import is named with its line', async () => {
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path, { countIndex: 'off' });
    const lines = [
      CSV_HEADER,
      ...family(50).map(csvLine),
      csvLine(specimen({ sample_id: 'C1', parent_sample_id: 'C2' })),
      csvLine(specimen({ sample_id: 'C2', parent_sample_id: 'C1' })),
    ];
    const error = await rejection(importCsv(catalogue, writeCsv(lines)));
    expect(error.issues).toEqual([{ line: 152, field: 'parent_sample_id', message: "parent_sample_id cycle: 'C1' -> 'C2' -> 'C1'" }]);
    expect(catalogue.size()).toBe(0);
    catalogue.close();
  });
});
