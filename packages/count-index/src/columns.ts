/**
 * Per-row value columns in the narrowest typed array that holds every stored
 * value exactly. Each starts narrow and widens once (a copy) on the first
 * value it cannot hold, so an ordinary catalogue pays one byte per age, two per date.
 */

/** Ages: Uint8 with 255 for unknown (stored as bit slices, age-slices.ts), or Float64 with NaN for unknown. */
export type AgeColumn = Uint8Array | Float64Array;
/** Quantities: Uint32 while every quantity is a whole number below 2^32 - 1, else Float64. */
export type QuantityColumn = Uint32Array | Float64Array;
/** Date keys (see {@link dateKey}): Uint16 from year {@link DATE_BASE_YEAR}, else Uint32 from year 0. */
export type DateColumn = Uint16Array | Uint32Array;
/** Codes: Uint8 while every code is below 255, else Uint32. */
export type CodeColumn = Uint8Array | Uint32Array;

export const DATE_BASE_YEAR = 1900;
const KEYS_PER_YEAR = 14 * 33;

/** The value that means "unknown" in a column of this type. */
export function unknownDate(column: DateColumn): number {
  return column.BYTES_PER_ELEMENT === 2 ? 0xffff : 0xffffffff;
}

/**
 * An order-preserving key of a YYYYMMDD number. Month and day are clamped to
 * 13 and 32, past any real month or day, so comparing a stored date's key with
 * a bound's key gives the same answer as comparing the numbers, whatever the bound.
 */
export function dateKey(yyyymmdd: number, baseYear: number): number {
  const year = Math.floor(yyyymmdd / 10000);
  const month = Math.min(Math.floor(yyyymmdd / 100) % 100, 13);
  const day = Math.min(yyyymmdd % 100, 32);
  return (year - baseYear) * KEYS_PER_YEAR + month * 33 + day;
}

export function dateBaseYear(column: DateColumn): number {
  return column.BYTES_PER_ELEMENT === 2 ? DATE_BASE_YEAR : 0;
}

/** A growing-once column writer: `set` widens the array when a value does not fit. */
export interface ColumnWriter<T> {
  set(row: number, value: number | null): void;
  readonly column: T;
}

/** An age's code in the Uint8 column: whole years 0–254, 255 unknown; -1 when it has none (the column turns Float64). */
export function ageCodeOf(value: number | null): number {
  if (value === null) return 255;
  return Number.isInteger(value) && value >= 0 && value < 255 ? value : -1;
}

export function createAgeWriter(rows: number): ColumnWriter<AgeColumn> {
  let column: AgeColumn = new Uint8Array(rows);
  return {
    set(row, value) {
      if (column instanceof Uint8Array) {
        const code = ageCodeOf(value);
        if (code >= 0) return void (column[row] = code);
        const wide = new Float64Array(rows);
        for (let i = 0; i < row; i++) wide[i] = column[i] === 255 ? Number.NaN : (column[i] as number);
        column = wide;
      }
      column[row] = value === null ? Number.NaN : value;
    },
    get column() {
      return column;
    },
  };
}

export function createQuantityWriter(rows: number): ColumnWriter<QuantityColumn> {
  let column: QuantityColumn = new Uint32Array(rows);
  return {
    set(row, value) {
      const v = value ?? 0;
      if (column instanceof Uint32Array) {
        if (Number.isInteger(v) && v >= 0 && v < 0xffffffff) return void (column[row] = v);
        column = Float64Array.from(column);
      }
      column[row] = v;
    },
    get column() {
      return column;
    },
  };
}

export function createDateWriter(rows: number): ColumnWriter<DateColumn> {
  let column: DateColumn = new Uint16Array(rows);
  return {
    set(row, value) {
      if (column instanceof Uint16Array) {
        if (value === null) return void (column[row] = 0xffff);
        const key = dateKey(value, DATE_BASE_YEAR);
        if (key >= 0 && key < 0xffff) return void (column[row] = key);
        const wide = new Uint32Array(rows);
        const shift = DATE_BASE_YEAR * KEYS_PER_YEAR;
        for (let i = 0; i < row; i++) wide[i] = column[i] === 0xffff ? 0xffffffff : (column[i] as number) + shift;
        column = wide;
      }
      column[row] = value === null ? 0xffffffff : dateKey(value, 0);
    },
    get column() {
      return column;
    },
  };
}

export function createCodeWriter(rows: number): ColumnWriter<CodeColumn> {
  let column: CodeColumn = new Uint8Array(rows);
  return {
    set(row, value) {
      const v = value ?? 0;
      if (column instanceof Uint8Array) {
        if (v < 255) return void (column[row] = v);
        column = Uint32Array.from(column);
      }
      column[row] = v;
    },
    get column() {
      return column;
    },
  };
}
