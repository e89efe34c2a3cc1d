import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, Writable, pipeline } from 'node:stream';
import { BiospecError } from '@biospec/protocol';
import Assembler from 'stream-json/Assembler.js';
import Parser from 'stream-json/Parser.js';
import Verifier from 'stream-json/utils/Verifier.js';

/** One resource found in a file, with where it came from. */
export interface FoundResource {
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
 * one bare resource) work through the same path.
 */
class ResourceSplitter {
  private depth = 0;
  private top: Assembler | null = null;
  private topKey: string | null = null;
  private inEntries = false;
  private entry: Assembler | null = null;
  private entryIndex = 0;
  private topIndex = 0;
  private bundleChecked = false;
  private sawEntries = false;

  constructor(
    private readonly emit: (found: FoundResource) => void,
    private readonly onBundle: (type: string) => void,
  ) {}

  consume(token: Token): void {
    const opens = token.name === 'startObject' || token.name === 'startArray';
    const closes = token.name === 'endObject' || token.name === 'endArray';
    if (this.depth === 0) {
      if (token.name !== 'startObject') {
        throw new BiospecError('INVALID_DATA', `top-level value ${this.topIndex + 1} is not a FHIR resource (a JSON object)`);
      }
      this.top = new Assembler();
      this.top.consume(token);
      this.sawEntries = false;
      this.bundleChecked = false;
      this.depth = 1;
      return;
    }
    if (this.inEntries) {
      this.consumeEntry(token, opens, closes);
      return;
    }
    const top = this.top as Assembler;
    if (this.depth === 1 && token.name === 'keyValue') {
      this.topKey = token.value ?? null;
      if (this.topKey === 'entry') return;
    } else if (this.depth === 1 && this.topKey === 'entry') {
      this.topKey = null;
      if (token.name === 'startArray') {
        this.inEntries = true;
        this.sawEntries = true;
        this.entryIndex = 0;
        this.depth = 2;
        return;
      }
      top.consume({ name: 'keyValue', value: 'entry' });
    }
    top.consume(token);
    if (opens) this.depth += 1;
    if (closes) this.depth -= 1;
    if (this.depth === 1) this.checkBundleType();
    if (this.depth === 0) this.finishTop();
  }

  private consumeEntry(token: Token, opens: boolean, closes: boolean): void {
    if (this.depth === 2 && token.name === 'endArray') {
      this.inEntries = false;
      this.topKey = null;
      this.depth = 1;
      return;
    }
    if (this.depth === 2 && token.name === 'startObject') this.entry = new Assembler();
    if (this.entry === null) throw new BiospecError('INVALID_DATA', `Bundle.entry[${this.entryIndex}] is not an object`);
    this.entry.consume(token);
    if (opens) this.depth += 1;
    if (closes) this.depth -= 1;
    if (this.depth === 2) {
      const value = this.entry.current as { resource?: unknown; fullUrl?: unknown };
      const location = `entry[${this.entryIndex}]`;
      this.entryIndex += 1;
      this.entry = null;
      this.emit({ resource: value.resource, location, ...(typeof value.fullUrl === 'string' ? { fullUrl: value.fullUrl } : {}) });
    }
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
    const value = (this.top as Assembler).current as { resourceType?: unknown; type?: unknown };
    this.top = null;
    const index = this.topIndex;
    this.topIndex += 1;
    if (value.resourceType === 'Bundle' || this.sawEntries) {
      if (!this.bundleChecked) {
        this.checkBundleType();
        if (!this.bundleChecked) throw new BiospecError('INVALID_DATA', 'a Bundle needs a type');
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

  constructor(onBundle: (type: string) => void) {
    super({ jsonStreaming: true, packValues: true, streamValues: false });
    this.splitter = new ResourceSplitter((found) => super.push(found), onBundle);
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
  const parser = new ResourceParser(options.onBundle ?? (() => undefined));
  pipeline(source, counter, parser, () => undefined);
  try {
    for await (const found of parser) yield found as FoundResource;
  } catch (error) {
    if (error instanceof BiospecError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BiospecError('NOT_FOUND', `no such file: ${path}`);
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
