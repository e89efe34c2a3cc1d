import fs from 'node:fs';
import path from 'node:path';
import { BiospecError } from '@biospec/protocol';

/** What `biospec node import` was given, resolved to files. */
export interface ImportFiles {
  kind: 'csv' | 'fhir';
  files: string[];
}

const FHIR_FILE = /\.(nd)?json$/i;
const CSV_FILE = /\.(csv|tsv|txt)$/i;

/**
 * Files and folders → the files of one export: a folder stands for its
 * `.json`/`.ndjson` (FHIR) or `.csv` files, sorted by name. FHIR may be split
 * over any number of files; CSV is one file. Mixing CSV and FHIR is refused.
 */
export function resolveImportFiles(inputs: readonly string[]): ImportFiles {
  const files: string[] = [];
  for (const input of inputs) {
    if (!fs.existsSync(input)) throw new BiospecError('NOT_FOUND', `no such file or folder: ${input}`);
    if (fs.statSync(input).isDirectory()) {
      const inside = fs
        .readdirSync(input)
        .filter((name) => FHIR_FILE.test(name) || CSV_FILE.test(name))
        .sort()
        .map((name) => path.join(input, name));
      if (inside.length === 0) throw new BiospecError('INVALID_ARGUMENT', `${input} holds no .json, .ndjson or .csv file`);
      files.push(...inside);
    } else files.push(input);
  }
  const fhir = files.filter((file) => FHIR_FILE.test(file));
  if (fhir.length === files.length) return { kind: 'fhir', files };
  if (fhir.length > 0) throw new BiospecError('INVALID_ARGUMENT', `cannot import CSV and FHIR files together: ${files.map((f) => path.basename(f)).join(', ')}`);
  if (files.length > 1) throw new BiospecError('INVALID_ARGUMENT', `a CSV export is imported one file at a time; got ${files.length}`);
  return { kind: 'csv', files };
}
