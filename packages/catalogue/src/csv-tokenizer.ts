/**
 * An RFC 4180 tokenizer over decoded text chunks: cells of each record with
 * the physical line the record starts on. Unquoted cells (the usual case)
 * are found by scanning for the delimiter and line ends only; quoted cells
 * may hold delimiters, doubled quotes and newlines (which count as lines).
 * `\n`, `\r\n` and a lone `\r` all end a record.
 */

/** A malformed record (quote misuse); `line` is where its record starts. */
export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export interface CsvTokenizer {
  /** Tokenizes `text` (the next chunk); calls `onRecord` for every complete record. */
  push(text: string): void;
  /** Ends the input: the last record may lack its line end; an open quote is an error. */
  end(): void;
}

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/** Calls `onRecord(cells, line)` per record; `cells` is a fresh array the caller may keep. */
export function createCsvTokenizer(
  delimiter: string,
  onRecord: (cells: string[], line: number) => void,
): CsvTokenizer {
  const delim = delimiter.charCodeAt(0);
  // Text not yet tokenized: the start of a record whose end has not arrived.
  let rest = '';
  let line = 1;
  let first = true;

  /** Tokenizes complete records of `text`; returns where the first incomplete one starts. */
  const scan = (text: string, final: boolean): number => {
    const n = text.length;
    let at = 0;
    if (first && n > 0) {
      if (text.charCodeAt(0) === 0xfeff) at = 1;
      first = false;
    }
    for (;;) {
      if (at >= n) return at;
      const recordStart = at;
      const recordLine = line;
      let newlines = 0;
      const cells: string[] = [];
      let pos = at;
      let complete = false;
      for (;;) {
        if (pos < n && text.charCodeAt(pos) === QUOTE) {
          // Quoted cell: runs to a quote not followed by another quote.
          let value = '';
          let from = pos + 1;
          let q = from;
          let closed = false;
          for (;;) {
            q = text.indexOf('"', q);
            if (q === -1 || q + 1 >= n) {
              if (q !== -1 && final) {
                value += text.slice(from, q);
                pos = q + 1;
                closed = true;
              }
              break;
            }
            if (text.charCodeAt(q + 1) === QUOTE) {
              value += text.slice(from, q + 1);
              from = q + 2;
              q = from;
              continue;
            }
            value += text.slice(from, q);
            pos = q + 1;
            closed = true;
            break;
          }
          if (!closed) {
            if (!final) return recordStart;
            throw new CsvSyntaxError(`quote not closed: the quoted cell opened on line ${recordLine} never ends`, recordLine);
          }
          for (let i = value.indexOf('\n'); i !== -1; i = value.indexOf('\n', i + 1)) newlines++;
          cells.push(value);
          if (pos >= n) {
            if (!final) return recordStart;
            complete = true;
            break;
          }
          const c = text.charCodeAt(pos);
          if (c === delim) {
            pos++;
            continue;
          }
          if (c === LF || c === CR) {
            pos += c === CR && pos + 1 < n && text.charCodeAt(pos + 1) === LF ? 2 : 1;
            if (c === CR && pos >= n && !final) return recordStart;
            complete = true;
            break;
          }
          throw new CsvSyntaxError(
            `invalid closing quote: found ${JSON.stringify(text[pos])} after a quoted cell instead of a delimiter or line end`,
            recordLine + newlines,
          );
        }
        // Unquoted cell: up to the delimiter or line end.
        let end = pos;
        let c = 0;
        while (end < n) {
          c = text.charCodeAt(end);
          if (c === delim || c === LF || c === CR) break;
          if (c === QUOTE) {
            throw new CsvSyntaxError(
              `invalid opening quote: a quote inside the unquoted cell ${cells.length + 1}; quote the whole cell and double inner quotes`,
              recordLine + newlines,
            );
          }
          end++;
        }
        if (end >= n) {
          if (!final) return recordStart;
          cells.push(text.slice(pos, end));
          pos = end;
          complete = true;
          break;
        }
        cells.push(text.slice(pos, end));
        if (c === delim) {
          pos = end + 1;
          continue;
        }
        if (c === CR && end + 1 >= n && !final) return recordStart;
        pos = end + (c === CR && end + 1 < n && text.charCodeAt(end + 1) === LF ? 2 : 1);
        complete = true;
        break;
      }
      if (!complete) return recordStart;
      line += 1 + newlines;
      at = pos;
      onRecord(cells, recordLine);
    }
  };

  return {
    push(text) {
      const input = rest === '' ? text : rest + text;
      rest = input.slice(scan(input, false));
    },
    end() {
      if (rest !== '') scan(rest, true);
      rest = '';
    },
  };
}
