/**
 * Splits a FHIR JSON file into the JSON text of its resources without parsing
 * the file as a whole: a byte scanner that only tracks strings and nesting,
 * cutting out each element of a top-level `entry` array (a Bundle's entries)
 * and each top-level value (NDJSON lines, or one bare resource). The pieces
 * are then parsed with `JSON.parse`, which is many times faster than a
 * token-by-token streaming parser. Memory holds one piece at a time plus the
 * top-level object without its entries, whatever the order of its keys.
 */

/** The bytes of one entry: decoded only when asked, so entries a pass skips cost no string. */
export class EntryBytes {
  constructor(
    private readonly buf: Buffer,
    private readonly start: number,
    private readonly end: number,
  ) {}

  get length(): number {
    return this.end - this.start;
  }

  /** The JSON text. */
  text(): string {
    return this.buf.toString('utf8', this.start, this.end);
  }

  /**
   * The resourceType of the entry's resource, read from the bytes: the first
   * `"resourceType"` member, or null when a `"contained"` array comes first
   * (then only parsing can tell) or there is none.
   */
  peekType(): string | null {
    const leading = this.leadingType();
    if (leading !== undefined) return leading;
    const at = this.find(RESOURCE_TYPE);
    if (at < 0) return null;
    if (this.find(CONTAINED, at) >= 0) return null;
    const value = this.stringAfter(at + RESOURCE_TYPE.length);
    return value !== null && /^[A-Za-z]+$/.test(value) ? value : null;
  }

  /**
   * The type of an entry written `{"resource":{"resourceType":"X"` (as
   * writers lay entries out), read in place: searching each entry for the
   * member and for a contained array before it took about a third of the
   * time the first pass spent splitting the bench Bundle. Undefined for any
   * other layout.
   */
  private leadingType(): string | null | undefined {
    const { buf, start, end } = this;
    const from = start + LEADING_TYPE.length;
    if (end <= from) return undefined;
    for (let k = 0; k < LEADING_TYPE.length; k++) if (buf[start + k] !== LEADING_TYPE[k]) return undefined;
    let i = from;
    while (i < end && isLetter(buf[i] as number)) i++;
    return buf[i] === QUOTE && i > from ? buf.toString('latin1', from, i) : null;
  }

  /** The entry's `fullUrl` (first `"fullUrl"` member), undefined when it has none. */
  fullUrl(): string | undefined {
    const at = this.find(FULL_URL);
    if (at < 0) return undefined;
    const value = this.stringAfter(at + FULL_URL.length);
    return value === null ? undefined : value;
  }

  /** Position of `needle` within the entry (before `until`), or -1. */
  private find(needle: Buffer, until = this.end): number {
    // Bounded to the entry: an unbounded search would scan the rest of the buffer each time.
    const at = this.buf.subarray(this.start, until).indexOf(needle);
    return at < 0 ? -1 : this.start + at;
  }

  /** The string value after a member name: `  : "value"` → `value` (unescaped); null when it is not a string. */
  private stringAfter(from: number): string | null {
    let i = from;
    while (i < this.end && (isSpace(this.buf[i] as number) || this.buf[i] === COLON)) i++;
    if (this.buf[i] !== QUOTE) return null;
    let j = i + 1;
    let escapes = false;
    while (j < this.end && this.buf[j] !== QUOTE) {
      if (this.buf[j] === BACKSLASH) {
        escapes = true;
        j++;
      }
      j++;
    }
    const raw = this.buf.toString('utf8', i, j + 1);
    return escapes ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }
}

/** One piece of the file, in file order. */
export type Piece =
  /** An element of a top-level `entry` array. */
  | { kind: 'entry'; index: number; bytes: EntryBytes; offset: number }
  /**
   * The top-level value's members before its `entry` array, as a JSON object
   * (sent when the array starts, so a Bundle's type is known before its
   * entries when the file names it first).
   */
  | { kind: 'header'; topIndex: number; json: string }
  /** A whole top-level value, without its `entry` array when it had one. */
  | { kind: 'top'; topIndex: number; json: string; offset: number; length: number; hadEntries: boolean };

/** A structural error the scanner itself found, at a byte offset. */
export class SplitError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function isLetter(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
}

const ENTRY = Buffer.from('entry');
const LEADING_TYPE = Buffer.from('{"resource":{"resourceType":"');
const RESOURCE_TYPE = Buffer.from('"resourceType"');
const CONTAINED = Buffer.from('"contained"');
const FULL_URL = Buffer.from('"fullUrl"');

/** How many backslashes stand right before `end` in `buf`. */
function trailingBackslashes(buf: Buffer, end: number): number {
  let n = 0;
  while (end - n - 1 >= 0 && buf[end - n - 1] === BACKSLASH) n++;
  return n;
}

/**
 * A push scanner: feed it the file's chunks in order with {@link push}, then
 * call {@link end}; it returns the pieces each chunk completed.
 */
export class JsonSplitter {
  /** Bytes not yet handed out as part of a piece, from `base` (a file offset) on. */
  private buffer: Buffer = Buffer.alloc(0);
  private base = 0;
  /** Scan position within `buffer`. */
  private pos = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Where the current top-level value starts in `buffer`; -1 between values. */
  private topStart = -1;
  private topIndex = 0;
  /** The top-level value's text before its entry array, while that array is read. */
  private head: string | null = null;
  private hadEntries = false;
  /** Inside the top-level `entry` array (depth 2 is between its elements). */
  private inEntries = false;
  private entryStart = -1;
  private entryIndex = 0;
  /** At depth 1: where the last string started and ended, to recognise the key `entry`. */
  private stringStart = -1;
  private lastString: [number, number] | null = null;
  private expectEntryArray = false;

  push(chunk: Buffer): Piece[] {
    return this.feed(this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]));
  }

  /** The bytes a piece in progress still needs: what {@link feed} must find at the start of its buffer. */
  remainder(): Buffer {
    return this.buffer;
  }

  /**
   * Scans `buffer`, which starts with a copy of {@link remainder} followed by
   * the next bytes of the file: lets the caller read into buffers it reuses
   * instead of allocating one per chunk. The pieces returned refer to
   * `buffer`, so consume them before reusing it.
   */
  feed(buffer: Buffer): Piece[] {
    this.buffer = buffer;
    const pieces: Piece[] = [];
    this.scan(pieces);
    this.compact();
    return pieces;
  }

  end(): Piece[] {
    if (this.inString || this.depth > 0) throw new SplitError('unexpected end of file inside a JSON value', this.base + this.buffer.length);
    return [];
  }

  /** Drops the bytes no piece in progress needs. */
  private compact(): void {
    const keep = this.inEntries ? this.entryStart : this.topStart;
    const from = keep >= 0 ? keep : this.pos;
    if (from === 0) return;
    this.buffer = this.buffer.subarray(from);
    this.base += from;
    this.pos -= from;
    if (this.topStart >= 0) this.topStart -= from;
    if (this.entryStart >= 0) this.entryStart -= from;
    if (this.stringStart >= 0) this.stringStart -= from;
    if (this.lastString) this.lastString = [this.lastString[0] - from, this.lastString[1] - from];
  }

  private scan(pieces: Piece[]): void {
    const buf = this.buffer;
    const length = buf.length;
    let i = this.pos;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    for (; i < length; i++) {
      if (inString) {
        // Most of a FHIR file is inside strings: jump to the next quote natively, then look back for escapes.
        if (escaped) {
          escaped = false;
          continue;
        }
        const quote = buf.indexOf(QUOTE, i);
        if (quote < 0) {
          // The string goes on in the next chunk; a backslash ending this one escapes its first byte.
          escaped = trailingBackslashes(buf, length) % 2 === 1;
          i = length;
          break;
        }
        i = quote;
        if (trailingBackslashes(buf, quote) % 2 === 1) continue;
        inString = false;
        if (depth === 1 && !this.inEntries) this.lastString = [this.stringStart, i];
        continue;
      }
      const byte = buf[i] as number;
      if (byte === QUOTE) {
        inString = true;
        if (depth === 1) this.stringStart = i + 1;
        continue;
      }
      if (depth > 2 || (depth === 2 && !this.inEntries)) {
        // Inside a value: only nesting matters.
        if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) depth++;
        else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
          depth--;
          if (depth === 2 && this.inEntries) this.finishEntry(pieces, i + 1);
        }
        continue;
      }
      if (isSpace(byte)) continue;
      if (depth === 0) {
        if (byte !== OPEN_OBJECT) throw new SplitError(`top-level value ${this.topIndex + 1} is not a FHIR resource (a JSON object)`, this.base + i);
        this.topStart = i;
        this.head = null;
        this.hadEntries = false;
        this.lastString = null;
        depth = 1;
        continue;
      }
      if (depth === 1) {
        if (byte === COLON) {
          const key = this.lastString;
          this.expectEntryArray = key !== null && key[1] - key[0] === ENTRY.length && buf.compare(ENTRY, 0, ENTRY.length, key[0], key[1]) === 0;
          continue;
        }
        if (byte === OPEN_ARRAY && this.expectEntryArray && !this.hadEntries) {
          this.startEntries(pieces, i);
          depth = 2;
          continue;
        }
        this.expectEntryArray = false;
        if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) depth = 2;
        else if (byte === CLOSE_OBJECT) {
          depth = 0;
          this.finishTop(pieces, i + 1);
        } else if (byte === CLOSE_ARRAY) throw new SplitError("unexpected ']'", this.base + i);
        continue;
      }
      // depth 2, between the elements of the entry array.
      if (byte === OPEN_OBJECT) {
        this.entryStart = i;
        depth = 3;
      } else if (byte === CLOSE_ARRAY) {
        this.inEntries = false;
        this.topStart = i + 1;
        depth = 1;
      } else if (byte !== COMMA) throw new SplitError(`Bundle.entry[${this.entryIndex}] is not an object`, this.base + i);
    }
    this.pos = i;
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
  }

  /** The entry array starts at `at`: what came before it is the header, its elements come as entries. */
  private startEntries(pieces: Piece[], at: number): void {
    const before = this.buffer.toString('utf8', this.topStart, at);
    // `{"resourceType":"Bundle","type":"collection","entry":[` → the members before `"entry"`.
    const withoutKey = before.replace(/,?\s*"entry"\s*:\s*$/, '');
    this.head = withoutKey;
    this.hadEntries = true;
    this.inEntries = true;
    this.entryIndex = 0;
    this.entryStart = -1;
    this.topStart = -1;
    pieces.push({ kind: 'header', topIndex: this.topIndex, json: `${withoutKey}}` });
  }

  private finishEntry(pieces: Piece[], end: number): void {
    pieces.push({ kind: 'entry', index: this.entryIndex, bytes: new EntryBytes(this.buffer, this.entryStart, end), offset: this.base + this.entryStart });
    this.entryIndex++;
    this.entryStart = -1;
  }

  private finishTop(pieces: Piece[], end: number): void {
    let json = this.buffer.toString('utf8', this.topStart, end);
    const offset = this.base + this.topStart;
    const length = end - this.topStart;
    if (this.head !== null) {
      // The members after the entry array follow the head; a leading comma joins them.
      const rest = json.replace(/^\s*,?/, '');
      const head = this.head.replace(/\s*$/, '');
      json = head.endsWith('{') || rest.startsWith('}') ? `${head}${rest}` : `${head},${rest}`;
    }
    pieces.push({ kind: 'top', topIndex: this.topIndex, json, offset, length, hadEntries: this.hadEntries });
    this.topIndex++;
    this.topStart = -1;
    this.head = null;
  }
}
