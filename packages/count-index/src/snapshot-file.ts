/**
 * A built index persisted next to its catalogue, so a restarted node serves
 * indexed counts after reading one file instead of a rebuild (~3 µs a row).
 *
 * Layout (little-endian):
 *
 * | bytes | what |
 * |---|---|
 * | 0–15 | magic `BIOSPEC-CIDX` and the format version (u32) |
 * | 16–19 | header length H (u32) |
 * | 20–51 | SHA-256 of every byte from 52 to the end |
 * | 52–52+H | header: UTF-8 JSON (below) |
 * | then | every typed array's bytes, each at an offset that is a multiple of 8 |
 *
 * The header holds what the index is tied to (`key`: the catalogue's id and
 * schema version, and the caps), its data epoch, and the index itself as JSON
 * in which each typed array is `{"$a": n}` (its type, offset and length are
 * `arrays[n]`), each Map `{"$m": [[key, value], ...]}`, each Set
 * `{"$s": [...]}` and each hole of an array `{"$u": 1}`. A file whose checksum, format or key does not match is not
 * used (the caller rebuilds); its epoch decides the rest (the caller catches
 * up withdrawals or rebuilds). Read into one ArrayBuffer that the typed arrays
 * are views of, so a worker can hand the whole index over without a copy.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { BuiltIndex } from './index-data.js';

const MAGIC = 'BIOSPEC-CIDX';
// 2: collection_id strata (the collection column as a dimension, 128 bytes of cap bounds per donor).
export const SNAPSHOT_FORMAT = 2;
const PREFIX = 52;

/** What a snapshot must match to be used: the catalogue it was built from and how. */
export interface SnapshotKey {
  catalogueId: string;
  schemaVersion: number;
  /** JSON of the caps, or null. */
  caps: string | null;
}

export interface SnapshotHeader {
  format: number;
  key: SnapshotKey;
  epoch: number;
  rows: number;
  writtenAt: string;
}

const TYPES = {
  Uint8Array,
  Uint16Array,
  Uint32Array,
  Int32Array,
  Float64Array,
} as const;
type TypeName = keyof typeof TYPES;
type Typed = InstanceType<(typeof TYPES)[TypeName]>;

const HOLE = { $u: 1 } as const;
function isHole(value: unknown): boolean {
  return value !== null && typeof value === 'object' && '$u' in value;
}

/** The built-in type of `value` by its tag, whatever realm made it (a worker's arrays in jest are of another). */
function tagOf(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

function typeNameOf(value: unknown): TypeName | undefined {
  const tag = tagOf(value);
  return tag in TYPES ? (tag as TypeName) : undefined;
}

/** Writes `built` to `path` (through a temporary file and a rename, so a reader never sees half a file). */
export function writeIndexSnapshot(path: string, built: BuiltIndex, key: SnapshotKey): void {
  const arrays: { type: TypeName; offset: number; length: number }[] = [];
  const blobs: Typed[] = [];
  let offset = 0;
  const encode = (value: unknown): unknown => {
    const type = typeNameOf(value);
    if (type !== undefined) {
      const typed = value as Typed;
      arrays.push({ type, offset, length: typed.length });
      blobs.push(typed);
      offset += Math.ceil(typed.byteLength / 8) * 8;
      return { $a: arrays.length - 1 };
    }
    if (tagOf(value) === 'Map') return { $m: [...(value as Map<unknown, unknown>)].map(([k, v]) => [encode(k), encode(v)]) };
    if (tagOf(value) === 'Set') return { $s: [...(value as Set<unknown>)].map(encode) };
    // Holes (codes no row has) stay holes, not JSON nulls.
    if (Array.isArray(value)) return Array.from(value, (v, i) => (i in value && v !== undefined ? encode(v) : HOLE));
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
    return value;
  };
  const data = encode(built);
  const header: SnapshotHeader & { arrays: typeof arrays; data: unknown } = {
    format: SNAPSHOT_FORMAT,
    key,
    epoch: built.main.epoch,
    rows: built.main.rows,
    writtenAt: new Date().toISOString(),
    arrays,
    data,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const bodyStart = Math.ceil((PREFIX + json.length) / 8) * 8;
  const hash = createHash('sha256');
  const pad = Buffer.alloc(bodyStart - PREFIX - json.length);
  hash.update(json);
  hash.update(pad);
  const chunks: Uint8Array[] = [];
  let written = 0;
  for (const [i, blob] of blobs.entries()) {
    const bytes = new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength);
    const gap = (arrays[i]?.offset ?? 0) - written;
    if (gap > 0) chunks.push(new Uint8Array(gap));
    chunks.push(bytes);
    written = (arrays[i]?.offset ?? 0) + blob.byteLength;
  }
  for (const chunk of chunks) hash.update(chunk);
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(SNAPSHOT_FORMAT, 12);
  prefix.writeUInt32LE(json.length, 16);
  hash.digest().copy(prefix, 20);

  const temporary = `${path}.${process.pid}.tmp`;
  // Private like the catalogue it is made of.
  const fd = fs.openSync(temporary, 'w', 0o600);
  try {
    for (const part of [prefix, json, pad, ...chunks]) {
      let done = 0;
      while (done < part.byteLength) done += fs.writeSync(fd, part, done, part.byteLength - done);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, path);
}

export type SnapshotRead = { built: BuiltIndex; header: SnapshotHeader; buffer: ArrayBuffer } | { invalid: string };

/** Reads the header only (no checksum): what the file claims to be, or undefined when it is not a snapshot. */
export function readSnapshotHeader(path: string): SnapshotHeader | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, 'r');
    const prefix = Buffer.alloc(PREFIX);
    if (fs.readSync(fd, prefix, 0, PREFIX, 0) < PREFIX || prefix.toString('latin1', 0, 12) !== MAGIC) return undefined;
    const length = prefix.readUInt32LE(16);
    const json = Buffer.alloc(length);
    fs.readSync(fd, json, 0, length, PREFIX);
    const { format, key, epoch, rows, writtenAt } = JSON.parse(json.toString('utf8')) as SnapshotHeader;
    return { format, key, epoch, rows, writtenAt };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Reads and checks the snapshot at `path` against `key`; `{ invalid }` says why it cannot be used. */
export function readIndexSnapshot(path: string, key: SnapshotKey): SnapshotRead {
  let size: number;
  try {
    size = fs.statSync(path).size;
  } catch {
    return { invalid: 'no snapshot' };
  }
  if (size < PREFIX) return { invalid: 'truncated' };
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  const fd = fs.openSync(path, 'r');
  try {
    let done = 0;
    while (done < size) {
      const n = fs.readSync(fd, bytes, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    if (done < size) return { invalid: 'truncated' };
  } finally {
    fs.closeSync(fd);
  }
  const prefix = Buffer.from(buffer, 0, PREFIX);
  if (prefix.toString('latin1', 0, 12) !== MAGIC) return { invalid: 'not a count index snapshot' };
  if (prefix.readUInt32LE(12) !== SNAPSHOT_FORMAT) return { invalid: `format ${prefix.readUInt32LE(12)}, not ${SNAPSHOT_FORMAT}` };
  const digest = createHash('sha256').update(bytes.subarray(PREFIX)).digest();
  if (!digest.equals(prefix.subarray(20, 52))) return { invalid: 'checksum mismatch' };
  const length = prefix.readUInt32LE(16);
  const header = JSON.parse(Buffer.from(buffer, PREFIX, length).toString('utf8')) as SnapshotHeader & {
    arrays: { type: TypeName; offset: number; length: number }[];
    data: unknown;
  };
  if (JSON.stringify(header.key) !== JSON.stringify(key)) {
    return { invalid: `built for ${JSON.stringify(header.key)}, not ${JSON.stringify(key)}` };
  }
  const bodyStart = Math.ceil((PREFIX + length) / 8) * 8;
  const decode = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      const out: unknown[] = new Array(value.length);
      value.forEach((v, i) => {
        if (!isHole(v)) out[i] = decode(v);
      });
      return out;
    }
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    if ('$a' in record) {
      const { type, offset, length: n } = header.arrays[record.$a as number] as (typeof header.arrays)[number];
      return new TYPES[type](buffer, bodyStart + offset, n);
    }
    if ('$m' in record) return new Map((record.$m as [unknown, unknown][]).map(([k, v]) => [decode(k), decode(v)]));
    if ('$s' in record) return new Set((record.$s as unknown[]).map(decode));
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, decode(v)]));
  };
  const { format, epoch, rows, writtenAt } = header;
  return { built: decode(header.data) as BuiltIndex, header: { format, key: header.key, epoch, rows, writtenAt }, buffer };
}

/** The ArrayBuffers `built` holds, each once: the transfer list that hands it to another thread without a copy. */
export function buffersOf(built: BuiltIndex): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const visit = (value: unknown): void => {
    if (ArrayBuffer.isView(value)) {
      if (tagOf(value.buffer) === 'ArrayBuffer') found.add(value.buffer as ArrayBuffer);
      return;
    }
    if (tagOf(value) === 'Map') for (const [k, v] of value as Map<unknown, unknown>) (visit(k), visit(v));
    else if (tagOf(value) === 'Set' || Array.isArray(value)) for (const v of value as Iterable<unknown>) visit(v);
    else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) visit(v);
  };
  visit(built);
  return [...found];
}
