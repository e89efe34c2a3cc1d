import { BiospecError } from './errors.js';

/** A failure of a file or the disk under it (not of a statement), and the file it concerns. */
export interface StorageFault {
  file: string;
  /** SQLite's extended result code, e.g. SQLITE_FULL, SQLITE_IOERR_WRITE. */
  code: string;
  message: string;
}

/** What each kind of storage fault means for an operator. */
const MEANINGS: [RegExp, string][] = [
  [/^SQLITE_FULL/, 'the disk is full'],
  [/^SQLITE_IOERR/, 'the disk failed to read or write'],
  [/^SQLITE_(CORRUPT|NOTADB)/, 'the file is damaged or not a database'],
  [/^SQLITE_CANTOPEN/, 'the file cannot be opened'],
  [/^SQLITE_READONLY/, 'the file or its folder is read-only'],
];

/** The storage fault `error` is (a SQLite error whose code says the file or disk failed), or undefined. */
export function storageFaultOf(error: unknown, file: string): StorageFault | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !MEANINGS.some(([pattern]) => pattern.test(code))) return undefined;
  return { file, code, message: (error as Error).message };
}

/** "the disk is full (SQLITE_FULL)" */
export function describeStorageFault(fault: StorageFault): string {
  const meaning = MEANINGS.find(([pattern]) => pattern.test(fault.code))?.[1] ?? fault.message;
  return `${meaning} (${fault.code})`;
}

/**
 * The error a caller reports for a storage fault: UNAVAILABLE (it may pass once the disk is
 * fixed), naming the file, what it means and what became of the operation.
 */
export function storageError(fault: StorageFault, outcome: string, cause?: unknown): BiospecError {
  return new BiospecError('UNAVAILABLE', `${fault.file}: ${describeStorageFault(fault)}; ${outcome}`, { cause });
}
