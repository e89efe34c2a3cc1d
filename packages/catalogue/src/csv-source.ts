/** A CSV file as the importer takes it: source rows, or encoded batches parsed on a worker thread when large. */
import type { SourceRow } from '@biospec/query';
import type { ColumnMapping } from './column-mapping.js';
import { readCsvBatches } from './csv-batches.js';
import { parseCsv } from './csv-parallel.js';
import { absorbGrowth, decodeRecord, type BatchDictionaries } from './csv-row-encoder.js';
import { NONE, SLOT, SLOTS, type EncodedBatch } from './encoded-batch.js';
import { ENCODED_BATCHES, type EncodedSource } from './import.js';

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

/** The rows of a CSV file as the importer takes them: encoded batches, parsed on a worker thread when large. */
export function csvSource(path: string, options: CsvOptions = {}): EncodedSource {
  return {
    [Symbol.asyncIterator]: () => readCsv(path, options),
    [ENCODED_BATCHES]: () => parseCsv(path, options),
  };
}
