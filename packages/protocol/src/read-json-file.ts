import fs from 'node:fs';
import { BiospecError } from './errors.js';

/** Reads a JSON file a service is configured with; INVALID_CONFIG naming `what` and the file when it cannot. */
export function readJsonFile(file: string, what: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', `cannot read ${what} ${file}: ${(cause as Error).message}`, { cause });
  }
}
