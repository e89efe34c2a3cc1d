import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BiospecError } from '@biospec/protocol';
import { SPECIMEN_FIELDS, type SpecimenRecord } from '@biospec/query';
import { toCsvHeader, toCsvLine, writeCsv } from './csv-writer.js';
import { generateCatalogue } from './generate.js';

/** A minimal RFC 4180 reader, independent of the writer, to check round trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** The record as cells, the way the CSV contract describes it. */
function expectedCells(r: SpecimenRecord): string[] {
  return SPECIMEN_FIELDS.map((f) => {
    const value = r[f];
    if (value === null) return '';
    return Array.isArray(value) ? value.join(';') : String(value);
  });
}

const tricky: SpecimenRecord = {
  sample_id: 'S,1',
  donor_id: 'D "quoted" 1',
  collection_id: 'line\nbreak',
  material_type: 'serum',
  collected_on: null,
  diagnosis: ['C50.9', 'I10'],
  anatomical_site: null,
  sex: 'female',
  age_at_collection: null,
  storage_temperature: '-60to-85',
  consent: ['DUO:0000042', 'DUO:0000019'],
  status: 'available',
  quantity: 0,
  parent_sample_id: ' padded ',
};

describe('toCsvHeader / toCsvLine', () => {
  test('the header is SPECIMEN_FIELDS in order', () => {
    expect(toCsvHeader()).toBe(SPECIMEN_FIELDS.join(','));
  });

  test('plain records are written without quotes, nulls empty and lists joined with ;', () => {
    const line = toCsvLine({ ...tricky, sample_id: 'S1', donor_id: 'D1', collection_id: 'C1', parent_sample_id: null });
    expect(line).toBe('S1,D1,C1,serum,,C50.9;I10,,female,,-60to-85,DUO:0000042;DUO:0000019,available,0,');
  });

  test('commas, quotes, line breaks and edge spaces are quoted and survive a round trip', () => {
    const line = toCsvLine(tricky);
    expect(line).toContain('"S,1"');
    expect(line).toContain('"D ""quoted"" 1"');
    expect(line).toContain('" padded "');
    expect(parseCsv(`${line}\n`)).toEqual([expectedCells(tricky)]);
  });

  test('generated records round-trip through the reader', () => {
    const records = [...generateCatalogue({ seed: 'csv', donors: 300, profile: 'university-hospital', idPrefix: 'UH' })];
    const text = [toCsvHeader(), ...records.map(toCsvLine)].join('\n') + '\n';
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...SPECIMEN_FIELDS]);
    expect(rows.slice(1)).toEqual(records.map(expectedCells));
  });
});

describe('writeCsv', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-synthetic-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('streams records to a file and reports rows, bytes and progress', async () => {
    const file = path.join(dir, 'catalogue.csv');
    const options = { seed: 9, donors: 20_000, profile: 'population-biobank', idPrefix: 'PB' } as const;
    const progress: number[] = [];
    const result = await writeCsv(generateCatalogue(options), file, { onProgress: (rows) => progress.push(rows) });

    const records = [...generateCatalogue(options)];
    expect(result.rows).toBe(records.length);
    expect(result.bytes).toBe(fs.statSync(file).size);
    // More than one chunk, so writes had to wait for the stream at least once in a while.
    expect(progress.length).toBeGreaterThan(2);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress[progress.length - 1]).toBe(records.length);

    const rows = parseCsv(fs.readFileSync(file, 'utf8'));
    expect(rows[0]).toEqual([...SPECIMEN_FIELDS]);
    expect(rows).toHaveLength(records.length + 1);
    expect(rows[1]).toEqual(expectedCells(records[0]!));
    expect(rows[rows.length - 1]).toEqual(expectedCells(records[records.length - 1]!));
  });

  test('an empty catalogue gives a header-only file', async () => {
    const file = path.join(dir, 'empty.csv');
    const result = await writeCsv([], file);
    expect(result).toEqual({ rows: 0, bytes: toCsvHeader().length + 1 });
    expect(fs.readFileSync(file, 'utf8')).toBe(`${toCsvHeader()}\n`);
  });

  test('non-ASCII text is counted in bytes, not characters', async () => {
    const file = path.join(dir, 'utf8.csv');
    const result = await writeCsv([{ ...tricky, collection_id: 'Köln-Ä' }], file);
    expect(result.bytes).toBe(fs.statSync(file).size);
    expect(parseCsv(fs.readFileSync(file, 'utf8'))[1]?.[2]).toBe('Köln-Ä');
  });

  test('a failing record source rejects with its own error, not a file error', async () => {
    function* failing(): Generator<SpecimenRecord> {
      yield tricky;
      throw new Error('source broke');
    }
    const error = await writeCsv(failing(), path.join(dir, 'failing.csv')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BiospecError);
    expect((error as BiospecError).code).toBe('INTERNAL');
  });

  test('an unwritable path rejects with a BiospecError', async () => {
    const file = path.join(dir, 'missing', 'catalogue.csv');
    await expect(writeCsv(generateCatalogue({ seed: 1, donors: 10, profile: 'cardiology-centre', idPrefix: 'CC' }), file)).rejects.toBeInstanceOf(
      BiospecError,
    );
  });
});
