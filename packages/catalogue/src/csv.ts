/**
 * Streams a CSV export as {@link SourceRow}s: the header is checked once,
 * then every row is parsed into a specimen record or the precise list of what
 * is wrong with it (line, field, the value, what is allowed).
 *
 * Unknown columns are rejected, not silently dropped: a misspelt optional
 * column would otherwise vanish from the catalogue unnoticed. A column
 * mapping can rename columns or list them under `ignoreColumns`.
 *
 * {@link importCsv} hands the importer the same rows as encoded batches,
 * parsed on a worker thread (see csv-parallel.ts).
 */
import type { SourceRow } from '@biospec/query';
import type { Catalogue } from './catalogue.js';
import type { ColumnMapping } from './column-mapping.js';
import { readCsvBatches } from './csv-batches.js';
import { parseCsv } from './csv-parallel.js';
import { absorbGrowth, decodeRecord, type BatchDictionaries } from './csv-row-encoder.js';
import { NONE, SLOT, SLOTS, type EncodedBatch } from './encoded-batch.js';
import { ENCODED_BATCHES, type EncodedSource, type ImportOptions, type ImportReport } from './import.js';

export { OPTIONAL_FIELDS, REQUIRED_FIELDS } from './csv-row-encoder.js';

export interface CsvOptions {
  mapping?: ColumnMapping;
  /** Progress in bytes of the file read so far. */
  onBytes?: (read: number, total: number) => void;
}

/** Reads `path` as a stream of source rows (line = the physical line a record starts on; header = line 1). */
export async function* readCsv(path: string, options: CsvOptions = {}): AsyncGenerator<SourceRow> {
  yield* sourceRowsOf(readCsvBatches(path, options));
}

async function* sourceRowsOf(batches: AsyncIterable<EncodedBatch>): AsyncGenerator<SourceRow> {
  const dictionaries: BatchDictionaries = { collection: [], site: [], consent: [], diagnosis: [] };
  for await (const batch of batches) {
    absorbGrowth(dictionaries, batch.grown);
    let nextRejected = 0;
    for (let row = 0; row < batch.rows; row++) {
      const line = batch.ints[row * SLOTS + SLOT.line] as number;
      if (batch.ints[row * SLOTS + SLOT.collection] === NONE) {
        yield { line, issues: (batch.rejected[nextRejected++] as EncodedBatch['rejected'][number]).issues };
      } else {
        yield { line, record: decodeRecord(batch, row, dictionaries) };
      }
    }
  }
}

/** Imports a CSV file into `catalogue` (atomic, see {@link Catalogue.importRows}); `source` defaults to the path. */
export function importCsv(
  catalogue: Catalogue,
  path: string,
  options: CsvOptions & ImportOptions = {},
): Promise<ImportReport> {
  const source: EncodedSource = {
    [Symbol.asyncIterator]: () => readCsv(path, options),
    [ENCODED_BATCHES]: () => parseCsv(path, options),
  };
  return catalogue.importRows(source, { ...options, source: options.source ?? path });
}
