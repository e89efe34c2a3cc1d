/**
 * Splits a FHIR JSON file into the JSON text of its resources without parsing
 * the file as a whole: a byte scanner that only tracks strings and nesting,
 * cutting out each element of a top-level `entry` array (a Bundle's entries)
 * and each top-level value (NDJSON lines, or one bare resource). The pieces
 * are then parsed with `JSON.parse`, which is many times faster than a
 * token-by-token streaming parser. Memory holds one piece at a time plus the
 * top-level object without its entries, whatever the order of its keys.
 */

/** One piece of the file, in file order. */
export type Piece =
  /** An element of a top-level `entry` array, as JSON text. */
  | { kind: 'entry'; index: number; json: string; offset: number }
  /**
   * The top-level value's members before its `entry` array, as a JSON object
   * (sent when the array starts, so a Bundle's type is known before its
   * entries when the file names it first).
   */
  | { kind: 'header'; topIndex: number; json: string }
  /** A whole top-level value, without its `entry` array when it had one. */
  | { kind: 'top'; topIndex: number; json: string; offset: number; hadEntries: boolean };

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

const ENTRY = Buffer.from('entry');

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
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
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
      const byte = buf[i] as number;
      if (inString) {
        if (escaped) escaped = false;
        else if (byte === BACKSLASH) escaped = true;
        else if (byte === QUOTE) {
          inString = false;
          if (depth === 1 && !this.inEntries) this.lastString = [this.stringStart, i];
        }
        continue;
      }
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
    pieces.push({ kind: 'entry', index: this.entryIndex, json: this.buffer.toString('utf8', this.entryStart, end), offset: this.base + this.entryStart });
    this.entryIndex++;
    this.entryStart = -1;
  }

  private finishTop(pieces: Piece[], end: number): void {
    let json = this.buffer.toString('utf8', this.topStart, end);
    const offset = this.base + this.topStart;
    if (this.head !== null) {
      // The members after the entry array follow the head; a leading comma joins them.
      const rest = json.replace(/^\s*,?/, '');
      const head = this.head.replace(/\s*$/, '');
      json = head.endsWith('{') || rest.startsWith('}') ? `${head}${rest}` : `${head},${rest}`;
    }
    pieces.push({ kind: 'top', topIndex: this.topIndex, json, offset, hadEntries: this.hadEntries });
    this.topIndex++;
    this.topStart = -1;
    this.head = null;
  }
}
