/**
 * Streams a CSV export as {@link SourceRow}s: the header is checked once,
 * then every row is parsed into a specimen record or the precise list of what
 * is wrong with it (line, field, the value, what is allowed).
 *
 * Unknown columns are rejected, not silently dropped: a misspelt optional
 * column would otherwise vanish from the catalogue unnoticed. A column
 * mapping can rename columns or list them under `ignoreColumns`.
 *
 * {@link importCsv} runs the whole import on a worker thread (import-worker.ts),
 * which takes the rows as encoded batches, parsed on a further worker when the
 * file is large (csv-parallel.ts).
 */
import type { Catalogue } from './catalogue.js';
import type { ImportOptions, ImportReport } from './import.js';

import type { CsvOptions } from './csv-source.js';

export { csvSource, readCsv } from './csv-source.js';
export type { CsvOptions } from './csv-source.js';
export { OPTIONAL_FIELDS, REQUIRED_FIELDS } from './csv-row-encoder.js';

/** Imports a CSV file into `catalogue` (atomic, see {@link Catalogue.importRows}); `source` defaults to the path. */
export function importCsv(
  catalogue: Catalogue,
  path: string,
  options: CsvOptions & ImportOptions = {},
): Promise<ImportReport> {
  return catalogue.importCsvFile(path, options);
}
