/**
 * Streams a CSV export as {@link SourceRow}s: the header is checked once,
 * then every row is parsed into a specimen record or the precise list of what
 * is wrong with it (line, field, the value, what is allowed).
 *
 * Unknown columns are rejected, not silently dropped: a misspelt optional
 * column would otherwise vanish from the catalogue unnoticed. A column
 * mapping can rename columns or list them under `ignoreColumns`.
 */
import { createReadStream, statSync } from 'node:fs';
import { parse, CsvError, type Parser } from 'csv-parse';
import { BiospecError, type Issue } from '@biospec/protocol';
import {
  SPECIMEN_FIELDS,
  normaliseIcd10,
  type MaterialType,
  type Sex,
  type SourceRow,
  type SpecimenRecord,
  type SpecimenStatus,
  type StorageTemperature,
} from '@biospec/query';
import type { Catalogue } from './catalogue.js';
import type { ColumnMapping } from './column-mapping.js';
import type { ImportOptions, ImportReport } from './import.js';
import { toIsoDate, type DateFormat } from './partial-date.js';
import {
  checkAge,
  checkAnatomicalSite,
  checkCollectedOn,
  checkConsentCode,
  checkMaterialType,
  checkParent,
  checkQuantity,
  checkRequiredId,
  checkSex,
  checkStatus,
  checkStorageTemperature,
  quote,
  type FieldIssue,
} from './specimen-rules.js';

type Field = (typeof SPECIMEN_FIELDS)[number];

/** Columns that must be present; their cells may still be empty. */
export const OPTIONAL_FIELDS = [
  'anatomical_site',
  'parent_sample_id',
  'collected_on',
  'age_at_collection',
  'diagnosis',
  'consent',
] as const satisfies readonly Field[];
export const REQUIRED_FIELDS = SPECIMEN_FIELDS.filter((f) => !(OPTIONAL_FIELDS as readonly string[]).includes(f));

export interface CsvOptions {
  mapping?: ColumnMapping;
  /** Progress in bytes of the file read so far. */
  onBytes?: (read: number, total: number) => void;
}

interface RowParser {
  columnCount: number;
  parse(cells: readonly string[]): { record?: SpecimenRecord; issues: FieldIssue[] };
}

/** Reads `path` as a stream of source rows (line = the physical line a record starts on; header = line 1). */
export async function* readCsv(path: string, options: CsvOptions = {}): AsyncGenerator<SourceRow> {
  const mapping = options.mapping;
  let total: number;
  try {
    total = statSync(path).size;
  } catch (cause) {
    throw new BiospecError('NOT_FOUND', `cannot read CSV file ${path}: ${(cause as Error).message}`, { cause });
  }
  const input = createReadStream(path, { highWaterMark: 256 * 1024 });
  const parser = parse({
    delimiter: mapping?.delimiter ?? ',',
    bom: true,
    encoding: mapping?.encoding === 'latin1' ? 'latin1' : 'utf8',
    relax_column_count: true,
  });
  input.on('error', (error) => parser.destroy(error));
  const onBytes = options.onBytes;
  if (onBytes !== undefined) {
    let read = 0;
    input.on('data', (chunk) => {
      read += chunk.length;
      onBytes(read, total);
    });
  }
  input.pipe(parser);

  let rowParser: RowParser | undefined;
  // Physical line the next record starts on: records span one line plus one per newline inside quotes.
  let nextLine = 1;
  try {
    for await (const batch of recordBatches(parser)) {
      for (const cells of batch) {
        const line = nextLine;
        nextLine += 1 + newlinesIn(cells);
        if (cells.length === 1 && (cells[0] as string).trim() === '') continue;
        if (rowParser === undefined) {
          rowParser = createRowParser(cells, mapping);
          continue;
        }
        if (cells.length !== rowParser.columnCount) {
          yield {
            line,
            issues: [{ message: `expected ${rowParser.columnCount} cells as in the header, found ${cells.length}` }],
          };
          continue;
        }
        const { record, issues } = rowParser.parse(cells);
        yield issues.length > 0 ? { line, issues } : { line, record: record as SpecimenRecord };
      }
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const at = typeof error.lines === 'number' ? error.lines : nextLine;
      throw new BiospecError('INVALID_DATA', `CSV syntax error in ${path} on line ${at}: ${error.message}`, {
        issues: [{ line: at, message: error.message }],
        cause: error,
      });
    }
    if (error instanceof BiospecError) throw error;
    throw new BiospecError('INVALID_DATA', `cannot read CSV file ${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    input.destroy();
    parser.destroy();
  }
  if (rowParser === undefined) {
    throw new BiospecError('INVALID_DATA', `CSV file ${path} is empty; expected a header line`, {
      issues: [{ line: 1, message: 'no header line' }],
    });
  }
}

function newlinesIn(cells: readonly string[]): number {
  let count = 0;
  for (const cell of cells) {
    for (let at = cell.indexOf('\n'); at !== -1; at = cell.indexOf('\n', at + 1)) count++;
  }
  return count;
}

/** The parser's records in the batches they become readable in: one promise per batch, not per record. */
async function* recordBatches(parser: Parser): AsyncGenerator<string[][]> {
  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    wake?.();
    wake = undefined;
  };
  parser.on('readable', signal);
  parser.on('end', () => {
    ended = true;
    signal();
  });
  parser.on('error', (error) => {
    failure = error;
    signal();
  });
  for (;;) {
    const batch: string[][] = [];
    let record: string[] | null;
    while ((record = parser.read() as string[] | null) !== null) batch.push(record);
    if (batch.length > 0) yield batch;
    else if (failure !== undefined) throw failure;
    else if (ended) return;
    else await new Promise<void>((resolve) => (wake = resolve));
  }
}

/** Imports a CSV file into `catalogue` (atomic, see {@link Catalogue.importRows}); `source` defaults to the path. */
export function importCsv(
  catalogue: Catalogue,
  path: string,
  options: CsvOptions & ImportOptions = {},
): Promise<ImportReport> {
  return catalogue.importRows(readCsv(path, options), { ...options, source: options.source ?? path });
}

/** Checks the header (one error listing every problem, at line 1) and builds the parser for the rows under it. */
function createRowParser(header: readonly string[], mapping: ColumnMapping | undefined): RowParser {
  const columnOf = new Map<Field, number>();
  const problems: Issue[] = [];
  const unknown: string[] = [];
  const ignored = new Set(mapping?.ignoreColumns ?? []);
  const known = new Set<string>(SPECIMEN_FIELDS);
  header.forEach((raw, index) => {
    const name = raw.trim();
    if (ignored.has(name)) return;
    const target = mapping?.columns[name] ?? (known.has(name) ? (name as Field) : undefined);
    if (target === undefined) {
      unknown.push(name);
      return;
    }
    const earlier = columnOf.get(target);
    if (earlier !== undefined) {
      problems.push({
        line: 1,
        field: target,
        message: `columns ${quote(header[earlier]?.trim() ?? '')} and ${quote(name)} both give ${target}`,
      });
      return;
    }
    columnOf.set(target, index);
  });
  const missing = REQUIRED_FIELDS.filter((f) => !columnOf.has(f));
  if (missing.length > 0) {
    problems.unshift({ line: 1, field: missing.join(', '), message: `missing required column(s): ${missing.join(', ')}` });
  }
  if (unknown.length > 0) {
    problems.push({
      line: 1,
      field: unknown.join(', '),
      message:
        `unknown column(s) ${unknown.map(quote).join(', ')}; use the catalogue field names (${SPECIMEN_FIELDS.join(', ')}), ` +
        'or map or ignore them in a column mapping ("columns", "ignoreColumns")',
    });
  }
  if (problems.length > 0) {
    throw new BiospecError('INVALID_DATA', `bad CSV header: ${problems.map((p) => p.message).join('; ')}`, { issues: problems });
  }
  return { columnCount: header.length, parse: createCellParser(columnOf, mapping) };
}

function createCellParser(columnOf: ReadonlyMap<Field, number>, mapping: ColumnMapping | undefined) {
  const separator = mapping?.multiValueSeparator ?? ';';
  const dateFormat: DateFormat = mapping?.dateFormat ?? 'YYYY-MM-DD';
  const translations = new Map<string, ReadonlyMap<string, string>>(
    Object.entries(mapping?.values ?? {}).map(([field, table]) => [field, new Map(Object.entries(table ?? {}))]),
  );
  const translate = (field: Field, value: string): string => translations.get(field)?.get(value) ?? value;
  const index = Object.fromEntries(SPECIMEN_FIELDS.map((f) => [f, columnOf.get(f) ?? -1])) as Record<Field, number>;

  return (cells: readonly string[]): { record?: SpecimenRecord; issues: FieldIssue[] } => {
    const issues: FieldIssue[] = [];
    const cell = (field: Field): string => {
      const i = index[field];
      const value = i < 0 ? '' : (cells[i] as string).trim();
      return translations.size === 0 ? value : translate(field, value);
    };
    const list = (field: Field): string[] => {
      const i = index[field];
      const raw = i < 0 ? '' : (cells[i] as string);
      if (raw === '') return [];
      const items: string[] = [];
      for (const part of raw.split(separator)) {
        const item = part.trim();
        if (item !== '') items.push(translations.size === 0 ? item : translate(field, item));
      }
      return items;
    };
    const check = (field: Field, message: string | null): void => {
      if (message !== null) issues.push({ field, message });
    };

    const sample_id = cell('sample_id');
    const donor_id = cell('donor_id');
    const collection_id = cell('collection_id');
    check('sample_id', checkRequiredId(sample_id, 'sample_id'));
    check('donor_id', checkRequiredId(donor_id, 'donor_id'));
    check('collection_id', checkRequiredId(collection_id, 'collection_id'));
    const material_type = cell('material_type');
    check('material_type', checkMaterialType(material_type));
    const sex = cell('sex');
    check('sex', checkSex(sex));
    const storage_temperature = cell('storage_temperature');
    check('storage_temperature', checkStorageTemperature(storage_temperature));
    const status = cell('status');
    check('status', checkStatus(status));

    const collected_on = parseDate(cell('collected_on'), dateFormat, issues);
    const diagnosis: string[] = [];
    for (const item of list('diagnosis')) {
      const code = normaliseIcd10(item);
      if (code === null) issues.push({ field: 'diagnosis', message: `diagnosis code ${quote(item)} is not an ICD-10 code (expected e.g. C50 or C50.9)` });
      else if (!diagnosis.includes(code)) diagnosis.push(code);
    }
    const siteText = cell('anatomical_site');
    let anatomical_site: string | null = null;
    if (siteText !== '') {
      anatomical_site = normaliseIcd10(siteText) ?? siteText;
      check('anatomical_site', checkAnatomicalSite(anatomical_site));
    }
    const consent: string[] = [];
    for (const code of list('consent')) {
      check('consent', checkConsentCode(code));
      if (!consent.includes(code)) consent.push(code);
    }
    const age_at_collection = parseAge(cell('age_at_collection'), issues);
    const quantity = parseQuantity(cell('quantity'), issues);
    const parentText = cell('parent_sample_id');
    const parent_sample_id = parentText === '' ? null : parentText;
    if (parent_sample_id !== null && sample_id !== '') check('parent_sample_id', checkParent(parent_sample_id, sample_id));

    if (issues.length > 0) return { issues };
    return {
      issues,
      record: {
        sample_id,
        donor_id,
        collection_id,
        material_type: material_type as MaterialType,
        collected_on,
        diagnosis,
        anatomical_site,
        sex: sex as Sex,
        age_at_collection,
        storage_temperature: storage_temperature as StorageTemperature,
        consent,
        status: status as SpecimenStatus,
        quantity: quantity as number,
        parent_sample_id,
      },
    };
  };
}

function parseDate(text: string, format: DateFormat, issues: FieldIssue[]): string | null {
  if (text === '') return null;
  const iso = toIsoDate(text, format);
  if (iso === null) {
    issues.push({ field: 'collected_on', message: `date ${quote(text)} does not match the date format ${format}` });
    return null;
  }
  const problem = checkCollectedOn(iso);
  if (problem !== null) issues.push({ field: 'collected_on', message: iso === text ? problem : `${problem} (written ${quote(text)})` });
  return iso;
}

const INTEGER = /^[0-9]+$/;
const DECIMAL = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

function parseAge(text: string, issues: FieldIssue[]): number | null {
  if (text === '') return null;
  if (!INTEGER.test(text) && !DECIMAL.test(text)) {
    issues.push({ field: 'age_at_collection', message: `age_at_collection ${quote(text)} is not a number; expected whole years 0..150` });
    return null;
  }
  const age = Number(text);
  const problem = checkAge(age);
  if (problem !== null) issues.push({ field: 'age_at_collection', message: problem });
  return age;
}

function parseQuantity(text: string, issues: FieldIssue[]): number | null {
  if (text === '') {
    issues.push({ field: 'quantity', message: 'quantity is empty; expected the aliquots or amount left (0 or more)' });
    return null;
  }
  if (!DECIMAL.test(text)) {
    issues.push({ field: 'quantity', message: `quantity ${quote(text)} is not a number; expected 0 or more` });
    return null;
  }
  const quantity = Number(text);
  const problem = checkQuantity(quantity);
  if (problem !== null) issues.push({ field: 'quantity', message: problem });
  return quantity;
}
