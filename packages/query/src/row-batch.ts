/**
 * Source rows in columns, for handing them from a reading thread to the
 * importer cheaply. Structured-cloning a {@link SourceRow} object per
 * specimen cost the importing thread about as much as writing it; here the
 * integer columns travel in typed arrays that are transferred, not copied,
 * ids as string arrays, and every categorical or list value as an id into a
 * dictionary that grows with each batch, so the importer checks and encodes
 * each distinct value once, not once per row.
 *
 * Only a plain specimen row fits the columns (a record with a reference or
 * nothing as its place, optionally `linked`); every other row (donor updates,
 * rows with issues, lines, values of the wrong type) travels whole in
 * `others`, in its place in the order. Decoding gives back rows equal to the
 * ones encoded.
 */
import type { DonorLink, SourceRow, SpecimenRecord } from './specimen.js';

/** Dictionaries of single values. */
export const TEXT_FIELDS = ['collection_id', 'material_type', 'collected_on', 'anatomical_site', 'sex', 'storage_temperature', 'status'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];
/** Dictionaries of lists: a record's diagnoses and consent, a linked row's own diagnoses. */
export const LIST_FIELDS = ['diagnosis', 'consent', 'own_diagnosis'] as const;
export type ListField = (typeof LIST_FIELDS)[number];

/** Slots of one row in {@link SourceRowBatch.ints}. */
export const ROW_SLOT = {
  collection_id: 0,
  material_type: 1,
  collected_on: 2,
  anatomical_site: 3,
  sex: 4,
  storage_temperature: 5,
  status: 6,
  diagnosis: 7,
  consent: 8,
  own_diagnosis: 9,
  age: 10,
  /** 1 when a linked row's age was stated by the specimen itself. */
  age_stated: 11,
} as const satisfies Record<TextField | ListField | 'age' | 'age_stated', number>;
export const ROW_SLOTS = 12;
/**
 * A null value (collected_on, anatomical_site, age), a row without `linked`
 * (own_diagnosis), and in `collection_id`: a row held whole in `others`.
 */
export const ABSENT = -1;

export interface SourceRowBatch {
  /**
   * Which encoder made the batch: rows may come from several (one per reading
   * thread), each with dictionaries of its own; a reader keeps one decoder per stream.
   */
  stream: number;
  size: number;
  /** {@link ROW_SLOTS} ints per row. */
  ints: Int32Array;
  quantity: Float64Array;
  sampleIds: string[];
  donorIds: string[];
  parentIds: (string | null)[];
  /** The row's `ref`; null when it has none. */
  refs: (string | null)[];
  /** The rows that do not fit the columns, in order. */
  others: SourceRow[];
  /** Dictionary entries new in this batch, in id order (ids continue from earlier batches). */
  grown: { texts: Record<TextField, string[]>; lists: Record<ListField, string[][]> };
}

/** Marks a row source that also hands its rows over as {@link SourceRowBatch}es (a shared symbol: sources and importer may load this module apart). */
export const ROW_BATCHES: unique symbol = Symbol.for('biospec.sourceRowBatches') as never;

/** Rows as {@link SourceRow}s for any consumer, and in columns for an importer that reads them. */
export interface RowBatchSource extends AsyncIterable<SourceRow> {
  [ROW_BATCHES](): AsyncIterable<SourceRowBatch>;
}

export function isRowBatchSource(rows: AsyncIterable<SourceRow>): rows is RowBatchSource {
  return typeof (rows as Partial<RowBatchSource>)[ROW_BATCHES] === 'function';
}

/** The typed arrays of a batch, to transfer instead of copying. */
export function rowBatchTransfers(batch: SourceRowBatch): ArrayBuffer[] {
  return [batch.ints.buffer as ArrayBuffer, batch.quantity.buffer as ArrayBuffer];
}

/** Joins list members for a dictionary key; lists with a member this could confuse stay out of the columns. */
const SEPARATOR = '\u001f';

function listKey(list: unknown): string | null {
  if (!Array.isArray(list)) return null;
  for (const item of list) if (typeof item !== 'string' || item === '' || item.includes(SEPARATOR)) return null;
  return list.join(SEPARATOR);
}

const isNullableString = (value: unknown): value is string | null => value === null || typeof value === 'string';

function emptyGrowth(): SourceRowBatch['grown'] {
  return {
    texts: Object.fromEntries(TEXT_FIELDS.map((field) => [field, []])) as unknown as Record<TextField, string[]>,
    lists: Object.fromEntries(LIST_FIELDS.map((field) => [field, []])) as unknown as Record<ListField, string[][]>,
  };
}

/** Encodes rows batch after batch; its dictionaries span the batches. `stream` names this encoder's batches. */
export function createRowBatchEncoder(stream = 0) {
  const texts = new Map<TextField, Map<string, number>>(TEXT_FIELDS.map((field) => [field, new Map()]));
  const lists = new Map<ListField, Map<string, number>>(LIST_FIELDS.map((field) => [field, new Map()]));
  let grown = emptyGrowth();

  const textId = (field: TextField, value: string): number => {
    const known = texts.get(field) as Map<string, number>;
    let id = known.get(value);
    if (id === undefined) {
      id = known.size;
      known.set(value, id);
      grown.texts[field].push(value);
    }
    return id;
  };
  const listId = (field: ListField, key: string, list: readonly string[]): number => {
    const known = lists.get(field) as Map<string, number>;
    let id = known.get(key);
    if (id === undefined) {
      id = known.size;
      known.set(key, id);
      grown.lists[field].push([...list]);
    }
    return id;
  };

  /** Whether the row fits the columns, with exactly the values and keys decoding gives back. */
  const fits = (row: SourceRow): boolean => {
    if (row.record === undefined || row.line !== undefined || row.issues !== undefined || row.donor !== undefined) return false;
    if (!(row.ref === undefined || typeof row.ref === 'string')) return false;
    if (Object.keys(row).length !== 1 + (row.ref === undefined ? 0 : 1) + (row.linked === undefined ? 0 : 1)) return false;
    const r = row.record as SpecimenRecord;
    if (Object.keys(r).length !== 14) return false;
    if (typeof r.sample_id !== 'string' || typeof r.donor_id !== 'string' || typeof r.collection_id !== 'string') return false;
    if (typeof r.material_type !== 'string' || typeof r.sex !== 'string' || typeof r.storage_temperature !== 'string' || typeof r.status !== 'string') return false;
    if (!isNullableString(r.collected_on) || !isNullableString(r.anatomical_site) || !isNullableString(r.parent_sample_id)) return false;
    if (typeof r.quantity !== 'number') return false;
    const age = r.age_at_collection;
    if (age !== null && !(Number.isInteger(age) && age >= 0 && age <= 0x7fffffff && !Object.is(age, -0))) return false;
    const link = row.linked as DonorLink | undefined;
    if (link !== undefined && (Object.keys(link).length !== 2 || typeof link.age_stated !== 'boolean')) return false;
    return true;
  };

  return {
    encode(rows: readonly SourceRow[]): SourceRowBatch {
      const size = rows.length;
      const ints = new Int32Array(size * ROW_SLOTS);
      const quantity = new Float64Array(size);
      const sampleIds: string[] = new Array(size);
      const donorIds: string[] = new Array(size);
      const parentIds: (string | null)[] = new Array(size);
      const refs: (string | null)[] = new Array(size);
      const others: SourceRow[] = [];
      for (let i = 0; i < size; i++) {
        const row = rows[i] as SourceRow;
        const base = i * ROW_SLOTS;
        const r = row.record as SpecimenRecord;
        const diagnosis = fits(row) ? listKey(r.diagnosis) : null;
        const consent = diagnosis === null ? null : listKey(r.consent);
        const own = consent === null || row.linked === undefined ? null : listKey(row.linked.own_diagnosis);
        if (consent === null || (row.linked !== undefined && own === null)) {
          ints[base + ROW_SLOT.collection_id] = ABSENT;
          others.push(row);
          sampleIds[i] = '';
          donorIds[i] = '';
          parentIds[i] = null;
          refs[i] = null;
          continue;
        }
        ints[base + ROW_SLOT.collection_id] = textId('collection_id', r.collection_id);
        ints[base + ROW_SLOT.material_type] = textId('material_type', r.material_type);
        ints[base + ROW_SLOT.collected_on] = r.collected_on === null ? ABSENT : textId('collected_on', r.collected_on);
        ints[base + ROW_SLOT.anatomical_site] = r.anatomical_site === null ? ABSENT : textId('anatomical_site', r.anatomical_site);
        ints[base + ROW_SLOT.sex] = textId('sex', r.sex);
        ints[base + ROW_SLOT.storage_temperature] = textId('storage_temperature', r.storage_temperature);
        ints[base + ROW_SLOT.status] = textId('status', r.status);
        ints[base + ROW_SLOT.diagnosis] = listId('diagnosis', diagnosis as string, r.diagnosis);
        ints[base + ROW_SLOT.consent] = listId('consent', consent, r.consent);
        ints[base + ROW_SLOT.own_diagnosis] = own === null ? ABSENT : listId('own_diagnosis', own, (row.linked as DonorLink).own_diagnosis);
        ints[base + ROW_SLOT.age] = r.age_at_collection === null ? ABSENT : r.age_at_collection;
        ints[base + ROW_SLOT.age_stated] = row.linked?.age_stated ? 1 : 0;
        quantity[i] = r.quantity;
        sampleIds[i] = r.sample_id;
        donorIds[i] = r.donor_id;
        parentIds[i] = r.parent_sample_id;
        refs[i] = row.ref ?? null;
      }
      const batch: SourceRowBatch = { stream, size, ints, quantity, sampleIds, donorIds, parentIds, refs, others, grown };
      grown = emptyGrowth();
      return batch;
    },
  };
}

/** The dictionaries of a stream of batches, as its reader has absorbed them so far. */
export interface RowBatchDictionaries {
  texts: Record<TextField, string[]>;
  lists: Record<ListField, string[][]>;
}

/** Decodes a stream of batches (absorb each before reading its rows). */
export function createRowBatchDecoder() {
  const dictionaries: RowBatchDictionaries = emptyGrowth();
  const text = (field: TextField, id: number): string => dictionaries.texts[field][id] as string;
  const list = (field: ListField, id: number): string[] => [...(dictionaries.lists[field][id] as string[])];
  return {
    dictionaries,
    /** Takes in a batch's new dictionary entries; call once per batch, in order. */
    absorb(batch: SourceRowBatch): void {
      for (const field of TEXT_FIELDS) for (const value of batch.grown.texts[field]) dictionaries.texts[field].push(value);
      for (const field of LIST_FIELDS) for (const value of batch.grown.lists[field]) dictionaries.lists[field].push(value);
    },
    /** Whether row `i` is in the columns (else it is the next of `others`). */
    inColumns: (batch: SourceRowBatch, i: number): boolean => batch.ints[i * ROW_SLOTS + ROW_SLOT.collection_id] !== ABSENT,
    /** Row `i` of the columns as the row that was encoded. */
    row(batch: SourceRowBatch, i: number): SourceRow {
      const ints = batch.ints;
      const base = i * ROW_SLOTS;
      const optional = (slot: number, field: TextField): string | null => (ints[base + slot] === ABSENT ? null : text(field, ints[base + slot] as number));
      const record: SpecimenRecord = {
        sample_id: batch.sampleIds[i] as string,
        donor_id: batch.donorIds[i] as string,
        collection_id: text('collection_id', ints[base + ROW_SLOT.collection_id] as number),
        material_type: text('material_type', ints[base + ROW_SLOT.material_type] as number) as SpecimenRecord['material_type'],
        collected_on: optional(ROW_SLOT.collected_on, 'collected_on'),
        diagnosis: list('diagnosis', ints[base + ROW_SLOT.diagnosis] as number),
        anatomical_site: optional(ROW_SLOT.anatomical_site, 'anatomical_site'),
        sex: text('sex', ints[base + ROW_SLOT.sex] as number) as SpecimenRecord['sex'],
        age_at_collection: ints[base + ROW_SLOT.age] === ABSENT ? null : (ints[base + ROW_SLOT.age] as number),
        storage_temperature: text('storage_temperature', ints[base + ROW_SLOT.storage_temperature] as number) as SpecimenRecord['storage_temperature'],
        consent: list('consent', ints[base + ROW_SLOT.consent] as number),
        status: text('status', ints[base + ROW_SLOT.status] as number) as SpecimenRecord['status'],
        quantity: batch.quantity[i] as number,
        parent_sample_id: batch.parentIds[i] as string | null,
      };
      const ref = batch.refs[i];
      const own = ints[base + ROW_SLOT.own_diagnosis] as number;
      return {
        ...(ref === null || ref === undefined ? {} : { ref }),
        record,
        ...(own === ABSENT ? {} : { linked: { own_diagnosis: list('own_diagnosis', own), age_stated: ints[base + ROW_SLOT.age_stated] === 1 } }),
      };
    },
    /** Every row of a batch, in order (absorbs it first). */
    rows(batch: SourceRowBatch): SourceRow[] {
      this.absorb(batch);
      const out: SourceRow[] = new Array(batch.size);
      let other = 0;
      for (let i = 0; i < batch.size; i++) out[i] = this.inColumns(batch, i) ? this.row(batch, i) : (batch.others[other++] as SourceRow);
      return out;
    },
  };
}

export type RowBatchDecoder = ReturnType<typeof createRowBatchDecoder>;

/** Decoders of batches from several streams, made as each stream first appears. */
export function createRowBatchDecoders(): (batch: SourceRowBatch) => RowBatchDecoder {
  const decoders = new Map<number, RowBatchDecoder>();
  return (batch) => {
    let decoder = decoders.get(batch.stream);
    if (decoder === undefined) decoders.set(batch.stream, (decoder = createRowBatchDecoder()));
    return decoder;
  };
}

/**
 * The batch without rows `drop` (row indices): only rows held whole in
 * `others` (the columns' dictionary growth must reach the reader whatever is dropped).
 */
export function dropRows(batch: SourceRowBatch, drop: ReadonlySet<number>): SourceRowBatch {
  if (drop.size === 0) return batch;
  const keep: number[] = [];
  const others: SourceRow[] = [];
  let other = 0;
  for (let i = 0; i < batch.size; i++) {
    const inColumns = batch.ints[i * ROW_SLOTS + ROW_SLOT.collection_id] !== ABSENT;
    if (drop.has(i)) {
      if (inColumns) throw new Error('only rows held whole can be dropped from a row batch');
      other++;
      continue;
    }
    keep.push(i);
    if (!inColumns) others.push(batch.others[other++] as SourceRow);
  }
  const ints = new Int32Array(keep.length * ROW_SLOTS);
  const quantity = new Float64Array(keep.length);
  keep.forEach((from, to) => {
    ints.set(batch.ints.subarray(from * ROW_SLOTS, (from + 1) * ROW_SLOTS), to * ROW_SLOTS);
    quantity[to] = batch.quantity[from] as number;
  });
  const pick = <T>(column: T[]): T[] => keep.map((i) => column[i] as T);
  return {
    stream: batch.stream,
    size: keep.length,
    ints,
    quantity,
    sampleIds: pick(batch.sampleIds),
    donorIds: pick(batch.donorIds),
    parentIds: pick(batch.parentIds),
    refs: pick(batch.refs),
    others,
    grown: batch.grown,
  };
}
