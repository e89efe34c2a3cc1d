import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Writable, pipeline } from 'node:stream';
import { BiospecError } from '@biospec/protocol/core';
import Verifier from 'stream-json/utils/Verifier.js';
import { open, type FileHandle } from 'node:fs/promises';
import { JsonSplitter, SplitError } from './json-splitter.js';
import { SpecimenPlaces } from './specimen-places.js';

/** One resource found in a file, with where it came from. */
export interface FoundResource {
  /** The parsed resource; undefined for a type the reader did not select (see {@link StreamResourcesOptions.select}). */
  resource: unknown;
  /** Its resourceType, read before parsing (undefined when it has none). */
  type: string | undefined;
  /** The bundle entry's fullUrl, when the resource came from a Bundle. */
  fullUrl?: string;
  /** `entry[12]` in a Bundle, `resource[3]` for the 4th top-level resource (the 4th NDJSON line). */
  location: string;
}

/** Bytes read from the file at a time. */
const READ_BYTES = 1 << 20;

/** Bundle types whose entries are resources to import. */
const IMPORTABLE_BUNDLES = new Set(['transaction', 'batch', 'collection', 'searchset']);

/** Options for {@link visitResources}. */
export interface StreamResourcesOptions {
  /** Called as bytes are read from the file. */
  onBytes?: (read: number) => void;
  /** Called with the type of each Bundle met. */
  onBundle?: (type: string) => void;
  /**
   * Whether to parse a resource of this type (with the entry's fullUrl):
   * others arrive unparsed, with only their type. Default: all.
   */
  select?: (resourceType: string | undefined, fullUrl: () => string | undefined) => boolean;
  /** Where to record the byte range of every Specimen met, for {@link readSpecimens}. */
  places?: SpecimenPlaces;
}

/** A failure of {@link visitResources}'s visitor, carried out of the reading unchanged. */
class VisitorFailure extends Error {
  constructor(readonly failure: unknown) {
    super('the visitor of a FHIR file failed');
  }
}

/** The resourceType of a top-level resource's JSON text (an NDJSON line), before parsing it; null when unsure. */
const TYPE = /"resourceType"\s*:\s*"([A-Za-z]+)"/;

function peekType(json: string): string | null {
  const match = TYPE.exec(json);
  if (match === null) return null;
  const contained = json.indexOf('"contained"');
  return contained >= 0 && contained < match.index ? null : (match[1] as string);
}

/**
 * Hands `visit` every resource in a FHIR JSON file, in file order: the
 * entries of a Bundle (streamed whatever the order of the Bundle's members),
 * the resources of an NDJSON file (one per line), or one bare resource. A
 * call per resource, not a yield: most resources of an export are Specimens
 * the first pass only counts, and an async iteration step cost more than
 * that. Memory holds one resource at a time. Malformed JSON fails with one
 * INVALID_DATA error giving the line and column.
 */
export async function visitResources(path: string, visitor: (found: FoundResource) => void, options: StreamResourcesOptions = {}): Promise<void> {
  // The visitor's own failures pass through as they are, not as a problem of the file.
  const visit = (found: FoundResource): void => {
    try {
      visitor(found);
    } catch (error) {
      throw new VisitorFailure(error);
    }
  };
  const select = options.select ?? (() => true);
  const splitter = new JsonSplitter();
  let read = 0;
  let bundleChecked = false;
  const checkBundle = (header: { resourceType?: unknown; type?: unknown }): void => {
    if (bundleChecked || header.resourceType !== 'Bundle' || header.type === undefined) return;
    bundleChecked = true;
    if (typeof header.type !== 'string' || !IMPORTABLE_BUNDLES.has(header.type)) {
      throw new BiospecError('INVALID_DATA', `${path}: Bundle.type '${String(header.type)}' cannot be imported; expected one of ${[...IMPORTABLE_BUNDLES].join(', ')}`);
    }
    options.onBundle?.(header.type);
  };
  const parse = (json: string): unknown => JSON.parse(json);
  // Two buffers used in turn: each read lands after the bytes a piece in progress still needs (copied
  // from the other buffer), so reading allocates no memory per chunk.
  const buffers: Buffer[] = [Buffer.allocUnsafe(2 * READ_BYTES), Buffer.allocUnsafe(2 * READ_BYTES)];
  let turn = 0;
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    for (;;) {
      const kept = splitter.remainder();
      let target: Buffer = buffers[turn] as Buffer;
      if (target.length < kept.length + READ_BYTES) {
        target = Buffer.allocUnsafe(2 * (kept.length + READ_BYTES));
        buffers[turn] = target;
      }
      turn ^= 1;
      kept.copy(target, 0);
      const { bytesRead } = await handle.read(target, kept.length, READ_BYTES, read);
      if (bytesRead === 0) break;
      read += bytesRead;
      options.onBytes?.(read);
      for (const piece of splitter.feed(target.subarray(0, kept.length + bytesRead))) {
        if (piece.kind === 'header') {
          bundleChecked = false;
          checkBundle(parse(piece.json) as { resourceType?: unknown; type?: unknown });
          continue;
        }
        if (piece.kind === 'entry') {
          const location = `entry[${piece.index}]`;
          const peeked = piece.bytes.peekType();
          if (peeked === 'Specimen') options.places?.add(piece.offset, piece.bytes.length, piece.index, true);
          if (peeked !== null && !select(peeked, () => piece.bytes.fullUrl())) {
            visit({ resource: undefined, type: peeked, location });
            continue;
          }
          const entry = parse(piece.bytes.text()) as { resource?: unknown; fullUrl?: unknown };
          const resource = entry.resource;
          const type = (resource as { resourceType?: unknown } | undefined)?.resourceType;
          if (peeked === null && type === 'Specimen') options.places?.add(piece.offset, piece.bytes.length, piece.index, true);
          visit({ resource, type: typeof type === 'string' ? type : undefined, location, ...(typeof entry.fullUrl === 'string' ? { fullUrl: entry.fullUrl } : {}) });
          continue;
        }
        const location = `resource[${piece.topIndex}]`;
        if (!piece.hadEntries) {
          const peeked = peekType(piece.json);
          if (peeked === 'Specimen') options.places?.add(piece.offset, piece.length, piece.topIndex, false);
          if (peeked !== null && peeked !== 'Bundle' && !select(peeked, () => undefined)) {
            visit({ resource: undefined, type: peeked, location });
            continue;
          }
        }
        const value = parse(piece.json) as { resourceType?: unknown; type?: unknown };
        if (value.resourceType === 'Bundle') {
          checkBundle(value);
          if (!bundleChecked) throw new BiospecError('INVALID_DATA', `${path}: a Bundle needs a type`);
          bundleChecked = false;
          continue;
        }
        const type = typeof value.resourceType === 'string' ? value.resourceType : undefined;
        if (type === 'Specimen' && (piece.hadEntries || peekType(piece.json) !== 'Specimen')) options.places?.add(piece.offset, piece.length, piece.topIndex, false);
        if (type !== undefined && !select(type, () => undefined)) visit({ resource: undefined, type, location });
        else visit({ resource: value, type, location });
      }
    }
    splitter.end();
  } catch (error) {
    if (error instanceof VisitorFailure) throw error.failure;
    if (error instanceof BiospecError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BiospecError('NOT_FOUND', `no such file: ${path}`);
    if (code === 'EISDIR') throw new BiospecError('INVALID_ARGUMENT', `${path} is a folder; import its files by naming the folder to the CLI`);
    if (code !== undefined) throw new BiospecError('INVALID_ARGUMENT', `cannot read ${path} (${code})`, { cause: error });
    if (error instanceof SplitError && !/unexpected end/.test(error.message)) {
      throw new BiospecError('INVALID_DATA', `${path}: ${error.message} (byte ${error.offset})`, { cause: error });
    }
    throw await malformedJson(path, error);
  } finally {
    await handle?.close();
  }
}

/** Specimens `from` to `to` (exclusive) of a file's places, all within `bytes`, which holds the file from `bytesStart` on. */
export interface SpecimenRun {
  bytes: Buffer;
  bytesStart: number;
  from: number;
  to: number;
}

/**
 * The second pass: Specimens `from` to `to` of those the first pass recorded in `places`, read
 * from their byte ranges (in file order, in large reads), as runs of
 * Specimens that one read holds. The buffer is reused by the next read, so a
 * run is to be consumed before the next is asked for.
 */
export async function* readSpecimens(path: string, places: SpecimenPlaces, from: number, to: number, onBytes?: (read: number) => void): AsyncGenerator<SpecimenRun> {
  if (from >= to) return;
  const file = await open(path, 'r');
  let buffer: Buffer = Buffer.allocUnsafe(READ_BYTES);
  try {
    let i = from;
    while (i < to) {
      const offset = places.offset(i);
      const length = places.length(i);
      if (buffer.length < length) buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
      onBytes?.(offset + bytesRead);
      if (bytesRead < length) throw new BiospecError('INVALID_DATA', `${path} changed while it was being imported`);
      let next = i + 1;
      while (next < to && places.offset(next) + places.length(next) <= offset + bytesRead && places.offset(next) >= offset) next++;
      yield { bytes: buffer.subarray(0, bytesRead), bytesStart: offset, from: i, to: next };
      i = next;
    }
  } finally {
    await file.close();
  }
}

/** One Specimen's JSON as the second pass reads it: parsed one at a time by {@link parseSpecimen}, so it is garbage before the next. */
export interface SpecimenText {
  json: string;
  location: string;
  /** A Bundle entry (`{"fullUrl", "resource"}`) rather than a bare resource. */
  entry: boolean;
}

/** Parses one Specimen read by {@link readSpecimens}; malformed JSON fails as {@link visitResources} does. */
export async function parseSpecimen(path: string, text: SpecimenText): Promise<FoundResource> {
  let value: unknown;
  try {
    value = JSON.parse(text.json);
  } catch (error) {
    throw await malformedJson(path, error);
  }
  if (!text.entry) return { resource: value, type: 'Specimen', location: text.location };
  const { resource, fullUrl } = value as { resource?: unknown; fullUrl?: unknown };
  return { resource, type: 'Specimen', location: text.location, ...(typeof fullUrl === 'string' ? { fullUrl } : {}) };
}

/** Locates a syntax error the parser met (it reports none) by verifying the file, which does. */
async function malformedJson(path: string, cause: unknown): Promise<BiospecError> {
  const located = await new Promise<{ line: number; pos: number; offset: number; message: string } | null>((resolve) => {
    const verifier = new Verifier({ jsonStreaming: true }) as unknown as Writable;
    pipeline(createReadStream(path), verifier, (error) => {
      const e = error as (Error & { line?: number; pos?: number; offset?: number }) | undefined;
      if (e?.line === undefined) return resolve(null);
      const message = e.message.replace(/^ERROR at .*?: /, '').replace(/^Verifier (cannot parse input: |has )/, '');
      resolve({ line: e.line, pos: e.pos ?? 0, offset: e.offset ?? 0, message });
    });
  });
  if (located === null) return new BiospecError('INVALID_DATA', `malformed JSON in ${path}: ${(cause as Error).message}`, { cause });
  const where = `line ${located.line}, column ${located.pos}`;
  return new BiospecError('INVALID_DATA', `malformed JSON in ${path} at ${where} (byte ${located.offset}): ${located.message}`, {
    cause,
    issues: [{ line: located.line, field: `column ${located.pos}`, message: located.message }],
  });
}

/** The size of a file in bytes. */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    throw new BiospecError('NOT_FOUND', `no such file: ${path}`);
  }
}
