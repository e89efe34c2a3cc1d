import { createWriteStream, type WriteStream } from 'node:fs';
import { BiospecError } from '@biospec/protocol';
import { SPECIMEN_FIELDS, type SpecimenRecord } from '@biospec/query';

/** Characters that force a CSV cell into quotes (RFC 4180). */
const SPECIAL = /[",\r\n]/;
/** Bytes gathered before each write to the file. */
const CHUNK_BYTES = 1 << 20;
/** Characters of CSV lines joined before they are encoded into the chunk. */
const BATCH_CHARS = 1 << 14;

/** A cell as written: quoted when RFC 4180 needs it, or when edge whitespace would be trimmed by readers. */
function cell(value: string): string {
  const edgeSpace = value.length > 0 && (value.charCodeAt(0) <= 32 || value.charCodeAt(value.length - 1) <= 32);
  return SPECIAL.test(value) || edgeSpace ? `"${value.replace(/"/g, '""')}"` : value;
}

function optionalCell(value: string | null): string {
  return value === null ? '' : cell(value);
}

function multiCell(values: readonly string[]): string {
  return cell(values.length === 1 ? (values[0] as string) : values.join(';'));
}

/** The header line (no line break): {@link SPECIMEN_FIELDS} in order. */
export function toCsvHeader(): string {
  return SPECIMEN_FIELDS.join(',');
}

/**
 * One record as a CSV line (no line break), columns in {@link SPECIMEN_FIELDS}
 * order: multi-valued fields joined with `;`, null as an empty cell, cells
 * quoted only where RFC 4180 needs it.
 */
export function toCsvLine(record: SpecimenRecord): string {
  // One array join yields a flat string; a template literal yields a tree of pieces that
  // costs more to encode later, which dominates when writing ten million lines.
  return [
    cell(record.sample_id),
    cell(record.donor_id),
    cell(record.collection_id),
    cell(record.material_type),
    optionalCell(record.collected_on),
    multiCell(record.diagnosis),
    optionalCell(record.anatomical_site),
    cell(record.sex),
    record.age_at_collection ?? '',
    cell(record.storage_temperature),
    multiCell(record.consent),
    cell(record.status),
    record.quantity,
    optionalCell(record.parent_sample_id),
  ].join(',');
}

/** Options for {@link writeCsv}. */
export interface WriteCsvOptions {
  /** Called with the number of rows written so far, after each chunk and once at the end. */
  onProgress?: (rows: number) => void;
}

/**
 * Streams records to a CSV file (header first, `\n` line endings), waiting for
 * the file stream to drain whenever it asks for it, so memory stays flat for
 * any number of rows. Resolves with the rows and bytes written.
 */
export async function writeCsv(
  records: Iterable<SpecimenRecord>,
  path: string,
  options: WriteCsvOptions = {},
): Promise<{ rows: number; bytes: number }> {
  const stream = createWriteStream(path);
  let failure: Error | null = null;
  stream.on('error', (error) => {
    failure = error;
  });
  const fail = (error: Error): BiospecError =>
    new BiospecError('INVALID_ARGUMENT', `cannot write CSV to ${path}: ${error.message}`, { cause: error });

  let rows = 0;
  let bytes = 0;
  // Lines are joined into short strings, each encoded straight into a chunk buffer: per-line
  // Buffer writes and one huge string per chunk are both several times slower.
  let pending = `${toCsvHeader()}\n`;
  let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;

  const flush = async (nextSize: number): Promise<void> => {
    if (failure !== null) throw fail(failure);
    const canContinue = used === 0 || stream.write(buffer.subarray(0, used));
    bytes += used;
    buffer = Buffer.allocUnsafe(nextSize);
    used = 0;
    if (!canContinue && !stream.destroyed) await waitForDrain(stream);
    if (failure !== null) throw fail(failure);
    options.onProgress?.(rows);
  };
  const encodePending = async (): Promise<void> => {
    // A UTF-16 code unit never takes more than three bytes in UTF-8.
    const worstCase = pending.length * 3;
    if (used + worstCase > buffer.length) await flush(Math.max(CHUNK_BYTES, worstCase));
    used += buffer.write(pending, used);
    pending = '';
  };

  try {
    for (const record of records) {
      pending += `${toCsvLine(record)}\n`;
      rows++;
      if (pending.length >= BATCH_CHARS) await encodePending();
    }
    await encodePending();
    await flush(0);
    await new Promise<void>((resolve, reject) => {
      stream.end((error?: Error | null) => (error ? reject(fail(error)) : resolve()));
    });
  } catch (error) {
    stream.destroy();
    // A failure of the records source is reported as such, not as a file problem.
    throw BiospecError.from(error);
  }
  if (failure !== null) throw fail(failure);
  return { rows, bytes };
}

/** Resolves on 'drain', or as soon as the stream fails (the failure is reported by the caller). */
function waitForDrain(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}
