/**
 * Reads a CSV file as {@link EncodedBatch}es, in this thread: file chunks are
 * decoded, tokenized and validated; each chunk's complete records become one
 * batch. Every failure is a BiospecError naming the file (and line).
 */
import { isAscii } from 'node:buffer';
import { statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { BiospecError } from '@biospec/protocol/core';
import type { ColumnMapping } from './column-mapping.js';
import { createCsvTokenizer, CsvSyntaxError } from './csv-tokenizer.js';
import { createRowEncoder, type RowEncoder } from './csv-row-encoder.js';
import type { EncodedBatch } from './encoded-batch.js';

const CHUNK_BYTES = 512 * 1024;

export interface BatchReadOptions {
  mapping?: ColumnMapping;
  /** Progress in bytes of the file read so far. */
  onBytes?: (read: number, total: number) => void;
}

/** The file's size; NOT_FOUND when it cannot be read. */
export function csvFileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (cause) {
    throw new BiospecError('NOT_FOUND', `cannot read CSV file ${path}: ${(cause as Error).message}`, { cause });
  }
}

export async function* readCsvBatches(path: string, options: BatchReadOptions = {}): AsyncGenerator<EncodedBatch> {
  const mapping = options.mapping;
  const total = csvFileSize(path);
  const decode = createDecoder(mapping?.encoding === 'latin1');
  let encoder: RowEncoder | undefined;
  const onRecord = (cells: string[], line: number): void => {
    if (cells.length === 1 && (cells[0] as string).trim() === '') return;
    if (encoder === undefined) encoder = createRowEncoder(cells, mapping);
    else encoder.add(cells, line);
  };
  const tokenizer = createCsvTokenizer(mapping?.delimiter ?? ',', onRecord);
  // One buffer for the whole file: decoding copies the bytes out, and fresh chunk buffers cost page faults.
  const chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  let input: FileHandle | undefined;
  try {
    input = await open(path, 'r');
    let read = 0;
    for (;;) {
      const { bytesRead } = await input.read(chunk, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      read += bytesRead;
      tokenizer.push(decode(chunk.subarray(0, bytesRead)));
      options.onBytes?.(read, total);
      if (encoder !== undefined && encoder.pending > 0) yield encoder.take();
    }
    const tail = decode();
    if (tail !== '') tokenizer.push(tail);
    tokenizer.end();
    if (encoder !== undefined && encoder.pending > 0) yield encoder.take();
  } catch (error) {
    if (error instanceof CsvSyntaxError) {
      throw new BiospecError('INVALID_DATA', `CSV syntax error in ${path} on line ${error.line}: ${error.message}`, {
        issues: [{ line: error.line, message: error.message }],
        cause: error,
      });
    }
    if (error instanceof BiospecError) throw error;
    throw new BiospecError('INVALID_DATA', `cannot read CSV file ${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    await input?.close();
  }
  if (encoder === undefined) {
    throw new BiospecError('INVALID_DATA', `CSV file ${path} is empty; expected a header line`, {
      issues: [{ line: 1, message: 'no header line' }],
    });
  }
}

/**
 * Bytes → text. Latin-1 decoding is a plain copy, and for ASCII it equals
 * UTF-8: so UTF-8 chunks are decoded that way until the first non-ASCII
 * byte, and by a stateful decoder (multi-byte characters split across chunks) from then on.
 */
function createDecoder(latin1: boolean): (chunk?: Buffer) => string {
  if (latin1) {
    let first = true;
    return (chunk) => {
      if (chunk === undefined) return '';
      // A UTF-8 byte order mark is dropped in either encoding.
      const bom = first && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
      first = false;
      return chunk.toString('latin1', bom ? 3 : 0);
    };
  }
  let utf8: StringDecoder | undefined;
  return (chunk) => {
    if (chunk === undefined) return utf8?.end() ?? '';
    if (utf8 === undefined && isAscii(chunk)) return chunk.toString('latin1');
    utf8 ??= new StringDecoder('utf8');
    return utf8.write(chunk);
  };
}
