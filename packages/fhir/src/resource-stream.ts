import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, Writable, pipeline } from 'node:stream';
import { BiospecError } from '@biospec/protocol';
import Assembler from 'stream-json/Assembler.js';
import Parser from 'stream-json/Parser.js';
import Verifier from 'stream-json/utils/Verifier.js';

/** One resource found in a file, with where it came from. */
export interface FoundResource {
  /**
   * The resource; for a type the reader did not select, only a stub holding
   * its `resourceType` and `id` (and any element written before `resourceType`).
   */
  resource: unknown;
  /** The bundle entry's fullUrl, when the resource came from a Bundle. */
  fullUrl?: string;
  /** `entry[12]` in a Bundle, `resource[3]` for the 4th top-level resource (the 4th NDJSON line). */
  location: string;
}

/** Bundle types whose entries are resources to import. */
const IMPORTABLE_BUNDLES = new Set(['transaction', 'batch', 'collection', 'searchset']);

interface Token {
  name: string;
  value?: string;
}

/**
 * Splits the parser's token stream into resources without ever assembling a
 * Bundle: a top-level object is assembled except for its `entry` array, whose
 * elements are assembled and emitted one at a time. A top-level object that is
 * not a Bundle is itself a resource, which makes NDJSON (and a file holding
 * one bare resource) work through the same path. A resource whose type is not
 * selected is not assembled beyond its `id` (each pass wants only some types,
 * and assembling is most of the cost).
 */
class ResourceSplitter {
  /** Containers open around the next token. */
  private depth = 0;
  private top: Assembler | null = null;
  private topKey: string | null = null;
  private inEntries = false;
  private sawEntries = false;
  private entry: Assembler | null = null;
  private entryKey: string | null = null;
  private entryIndex = 0;
  private topIndex = 0;
  private bundleChecked = false;
  /** Depth of the keys of the resource being read, while one is. */
  private resourceDepth: number | null = null;
  private expectType = false;
  private skipping = false;
  private expectId = false;

  constructor(
    private readonly emit: (found: FoundResource) => void,
    private readonly onBundle: (type: string) => void,
    private readonly select: (resourceType: string) => boolean,
  ) {}

  consume(token: Token): void {
    const { name } = token;
    if (this.depth === 0) {
      if (name !== 'startObject') {
        throw new BiospecError('INVALID_DATA', `top-level value ${this.topIndex + 1} is not a FHIR resource (a JSON object)`);
      }
      this.top = new Assembler();
      this.top.consume(token);
      this.sawEntries = false;
      this.bundleChecked = false;
      this.resourceDepth = 1;
      this.depth = 1;
      return;
    }
    if (this.inEntries && this.depth === 2) {
      this.nextEntry(token);
      return;
    }
    const assembler = (this.inEntries ? this.entry : this.top) as Assembler;
    if (this.skipping) {
      this.skip(token, assembler);
      return;
    }
    if (!this.inEntries && this.depth === 1 && this.routeEntries(token, assembler)) return;
    if (this.inEntries && this.depth === 3) {
      if (name === 'keyValue') this.entryKey = token.value ?? null;
      else if (name === 'startObject' && this.entryKey === 'resource') this.resourceDepth = 4;
    }
    assembler.consume(token);
    if (this.depth === this.resourceDepth) this.watchType(token);
    if (name === 'startObject' || name === 'startArray') this.depth += 1;
    else if (name === 'endObject' || name === 'endArray') this.closed();
    if (!this.inEntries && this.depth === 1) this.checkBundleType();
  }

  /** Between entries: the end of the array, or the start of the next entry. */
  private nextEntry(token: Token): void {
    if (token.name === 'endArray') {
      this.inEntries = false;
      this.depth = 1;
      return;
    }
    if (token.name !== 'startObject') throw new BiospecError('INVALID_DATA', `Bundle.entry[${this.entryIndex}] is not an object`);
    this.entry = new Assembler();
    this.entry.consume(token);
    this.entryKey = null;
    this.resourceDepth = null;
    this.depth = 3;
  }

  /**
   * Keeps a Bundle's `entry` array out of the top-level assembler; true when
   * the token was taken. Only once `resourceType` said Bundle (other resources,
   * such as List, have an `entry` too); a Bundle that names its type after its
   * entries is assembled whole and split in {@link finishTop}.
   */
  private routeEntries(token: Token, top: Assembler): boolean {
    if (token.name === 'keyValue' && token.value === 'entry' && (top.current as { resourceType?: unknown }).resourceType === 'Bundle') {
      this.topKey = 'entry';
      return true;
    }
    if (this.topKey !== 'entry') return false;
    this.topKey = null;
    if (token.name === 'startArray') {
      this.inEntries = true;
      this.sawEntries = true;
      this.entryIndex = 0;
      this.resourceDepth = null;
      this.depth = 2;
      return true;
    }
    top.consume({ name: 'keyValue', value: 'entry' });
    return false;
  }

  /** Notices the resource's type among its keys and starts skipping a type not selected. */
  private watchType(token: Token): void {
    if (token.name === 'keyValue') {
      this.expectType = token.value === 'resourceType';
      return;
    }
    if (this.expectType && token.name === 'stringValue' && token.value !== undefined) {
      // A top-level Bundle is never skipped: its entries are what is selected.
      if ((this.inEntries || token.value !== 'Bundle') && !this.select(token.value)) this.skipping = true;
    }
    this.expectType = false;
  }

  /** Inside a resource not selected: only its `id` reaches the assembler, and its closing brace. */
  private skip(token: Token, assembler: Assembler): void {
    const { name } = token;
    const resourceDepth = this.resourceDepth as number;
    if (name === 'startObject' || name === 'startArray') {
      this.depth += 1;
      this.expectId = false;
      return;
    }
    if (name === 'endObject' || name === 'endArray') {
      if (this.depth === resourceDepth) {
        this.skipping = false;
        assembler.consume(token);
        this.closed();
      } else this.depth -= 1;
      return;
    }
    if (this.depth !== resourceDepth) return;
    if (name === 'keyValue') {
      this.expectId = token.value === 'id';
      if (this.expectId) assembler.consume(token);
      return;
    }
    if (this.expectId && name === 'stringValue') assembler.consume(token);
    this.expectId = false;
  }

  /** After a container closed: finishes an entry or the top-level value when it was theirs. */
  private closed(): void {
    this.depth -= 1;
    if (this.inEntries && this.depth === 3 && this.resourceDepth === 4) this.resourceDepth = null;
    if (this.inEntries && this.depth === 2) this.finishEntry();
    if (this.depth === 0) this.finishTop();
  }

  private finishEntry(): void {
    const value = (this.entry as Assembler).current as { resource?: unknown; fullUrl?: unknown };
    const location = `entry[${this.entryIndex}]`;
    this.entryIndex += 1;
    this.entry = null;
    this.emit({
      resource: value.resource,
      location,
      ...(typeof value.fullUrl === 'string' ? { fullUrl: value.fullUrl } : {}),
    });
  }

  /** Rejects a Bundle of a type we do not import as soon as its `type` is known, before its entries are read. */
  private checkBundleType(): void {
    if (this.bundleChecked) return;
    const current = (this.top as Assembler).current as { resourceType?: unknown; type?: unknown };
    if (current.resourceType !== 'Bundle' || current.type === undefined) return;
    this.bundleChecked = true;
    if (typeof current.type !== 'string' || !IMPORTABLE_BUNDLES.has(current.type)) {
      throw new BiospecError('INVALID_DATA', `Bundle.type '${String(current.type)}' cannot be imported; expected one of ${[...IMPORTABLE_BUNDLES].join(', ')}`);
    }
    this.onBundle(current.type);
  }

  private finishTop(): void {
    const value = (this.top as Assembler).current as { resourceType?: unknown; entry?: unknown };
    this.top = null;
    this.resourceDepth = null;
    const index = this.topIndex;
    this.topIndex += 1;
    if (value.resourceType === 'Bundle') {
      this.checkBundleType();
      if (!this.bundleChecked) throw new BiospecError('INVALID_DATA', 'a Bundle needs a type');
      if (!this.sawEntries && Array.isArray(value.entry)) {
        value.entry.forEach((entry: { resource?: unknown; fullUrl?: unknown }, i) => {
          this.emit({ resource: entry?.resource, location: `entry[${i}]`, ...(typeof entry?.fullUrl === 'string' ? { fullUrl: entry.fullUrl } : {}) });
        });
      }
      return;
    }
    this.emit({ resource: value, location: `resource[${index}]` });
  }
}

/**
 * The JSON parser with the splitter fused in: tokens go straight to the
 * splitter instead of through a stream of their own (a stream hop per token
 * costs more than the parsing), and only whole resources are pushed out.
 */
class ResourceParser extends Parser {
  private readonly splitter: ResourceSplitter;
  private failed = false;

  constructor(onBundle: (type: string) => void, select: (resourceType: string) => boolean) {
    super({ jsonStreaming: true, packValues: true, streamValues: false });
    this.splitter = new ResourceSplitter((found) => super.push(found), onBundle, select);
  }

  override push(chunk: unknown): boolean {
    if (chunk === null) return super.push(null);
    if (this.failed) return false;
    try {
      this.splitter.consume(chunk as Token);
    } catch (error) {
      this.failed = true;
      this.destroy(error as Error);
    }
    return true;
  }
}

/** Options for {@link streamResources}. */
export interface StreamResourcesOptions {
  /** Called as bytes are read from the file. */
  onBytes?: (read: number) => void;
  /** Called with the type of each Bundle met. */
  onBundle?: (type: string) => void;
  /** The resource types to assemble whole; others arrive as stubs. Default: all. */
  select?: (resourceType: string) => boolean;
}

/**
 * Every resource in a FHIR JSON file, in file order: the entries of a Bundle,
 * or the resources of an NDJSON file (one per line), or one bare resource.
 * Streams: memory holds one resource at a time. Malformed JSON fails with one
 * INVALID_DATA error giving the line and column.
 */
export async function* streamResources(path: string, options: StreamResourcesOptions = {}): AsyncGenerator<FoundResource> {
  const source = createReadStream(path);
  let read = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      read += chunk.length;
      options.onBytes?.(read);
      callback(null, chunk);
    },
  });
  const parser = new ResourceParser(options.onBundle ?? (() => undefined), options.select ?? (() => true));
  pipeline(source, counter, parser, () => undefined);
  try {
    for await (const found of parser) yield found as FoundResource;
  } catch (error) {
    if (error instanceof BiospecError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BiospecError('NOT_FOUND', `no such file: ${path}`);
    if (code !== undefined) throw new BiospecError('INVALID_ARGUMENT', `cannot read ${path} (${code})`, { cause: error });
    throw await malformedJson(path, error);
  } finally {
    parser.destroy();
  }
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
  if (located === null) return new BiospecError('INVALID_DATA', `malformed JSON in ${path}`, { cause });
  const where = `line ${located.line}, column ${located.pos}`;
  return new BiospecError('INVALID_DATA', `malformed JSON at ${where} (byte ${located.offset}): ${located.message}`, {
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
