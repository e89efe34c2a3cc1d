import { MessageChannel } from 'node:worker_threads';
import { ABSENT, createRowBatchDecoder, createRowBatchDecoders, createRowBatchEncoder, dropRows, ROW_SLOT, ROW_SLOTS, rowBatchTransfers, type SourceRowBatch } from './row-batch.js';
import type { SourceRow, SpecimenRecord } from './specimen.js';

const record = (overrides: Partial<SpecimenRecord> = {}): SpecimenRecord => ({
  sample_id: 'S1',
  donor_id: 'D1',
  collection_id: 'C',
  material_type: 'serum',
  collected_on: '2019-05-14',
  diagnosis: ['C50.9'],
  anatomical_site: null,
  sex: 'female',
  age_at_collection: 45,
  storage_temperature: 'LN',
  consent: ['DUO:0000042'],
  status: 'available',
  quantity: 2,
  parent_sample_id: null,
  ...overrides,
});

const inColumns: SourceRow[] = [
  { ref: 'Specimen/S1', record: record() },
  { record: record({ sample_id: 'S2', collected_on: null, diagnosis: [], consent: [], age_at_collection: null, quantity: -0.5 }) },
  { ref: 'Specimen/S3', record: record({ sample_id: 'S3', anatomical_site: 'C50.4', parent_sample_id: 'S1', age_at_collection: 0 }), linked: { own_diagnosis: ['C50.9'], age_stated: true } },
  { ref: 'Specimen/S4', record: record({ sample_id: '', donor_id: '', material_type: 'nonsense' as never, quantity: Number.NaN }), linked: { own_diagnosis: [], age_stated: false } },
];
// Rows kept whole: not a plain record, or a value the columns would change.
const kept: SourceRow[] = [
  { ref: 'Patient/D1', donor: { donor_id: 'D1', sex: 'male', conditions: [] } },
  { ref: 'Specimen/X', issues: [{ message: 'broken' }] },
  { line: 3, record: record({ sample_id: 'L3' }) },
  { ref: 'Specimen/A1', record: record({ sample_id: 'A1', age_at_collection: -1 }) },
  { ref: 'Specimen/A2', record: record({ sample_id: 'A2', age_at_collection: 4.5 }) },
  { ref: 'Specimen/A3', record: record({ sample_id: 'A3', age_at_collection: -0 }) },
  { ref: 'Specimen/E1', record: record({ sample_id: 'E1', diagnosis: [''] }) },
  { ref: 'Specimen/E2', record: record({ sample_id: 'E2', consent: ['a\u001fb'] }) },
  { ref: 'Specimen/K1', record: { ...record({ sample_id: 'K1' }), extra: 1 } as SpecimenRecord },
  { ref: undefined, record: record({ sample_id: 'K2' }) },
  { ref: 'Specimen/K3', record: record({ sample_id: 'K3', quantity: '2' as never }) },
  { record: undefined as never },
];

/** A batch as another thread receives it: posted with its typed arrays transferred (so gone from here). */
async function received(batch: SourceRowBatch): Promise<SourceRowBatch> {
  const { port1, port2 } = new MessageChannel();
  const arrived = new Promise<SourceRowBatch>((resolve) => port2.once('message', resolve));
  port1.postMessage(batch, rowBatchTransfers(batch));
  const copy = await arrived;
  port1.close();
  expect(batch.ints.byteLength).toBe(0);
  return copy;
}

test('rows decode to what was encoded, in order, with dictionaries spanning batches', async () => {
  const encoder = createRowBatchEncoder();
  const decoder = createRowBatchDecoder();
  const all = [...inColumns, ...kept, ...inColumns.map((row) => ({ ...row, record: { ...(row.record as SpecimenRecord), sample_id: `${row.record?.sample_id}-again` } }))];
  const decoded: SourceRow[] = [];
  for (let i = 0; i < all.length; i += 5) decoded.push(...decoder.rows(await received(encoder.encode(all.slice(i, i + 5)))));
  expect(decoded).toEqual(all);
  // toEqual treats an undefined member as absent: the kept row with `ref: undefined` keeps its key.
  expect(Object.keys(decoded[inColumns.length + 9] as object)).toEqual(['ref', 'record']);
});

test('plain records travel in the columns, the rest whole', () => {
  const batch = createRowBatchEncoder().encode([...inColumns, ...kept]);
  const columns = Array.from({ length: batch.size }, (_, i) => batch.ints[i * ROW_SLOTS + ROW_SLOT.collection_id] !== ABSENT);
  expect(columns).toEqual([...inColumns.map(() => true), ...kept.map(() => false)]);
  expect(batch.others).toEqual(kept);
  // Each distinct value once.
  expect(batch.grown.texts.material_type).toEqual(['serum', 'nonsense']);
  expect(batch.grown.lists.diagnosis).toEqual([['C50.9'], []]);
  const later = createRowBatchEncoder();
  later.encode(inColumns);
  expect(later.encode(inColumns).grown.texts.material_type).toEqual([]);
});

test('batches of several encoders decode each with its own dictionaries, and rows kept whole can be dropped', () => {
  const first = createRowBatchEncoder(0);
  const second = createRowBatchEncoder(1);
  const decoderOf = createRowBatchDecoders();
  const decode = (batch: SourceRowBatch): SourceRow[] => decoderOf(batch).rows(batch);
  const other = inColumns.map((row) => ({ ...row, record: { ...(row.record as SpecimenRecord), material_type: 'dna' as const } }));
  expect(decode(first.encode(inColumns))).toEqual(inColumns);
  expect(decode(second.encode(other))).toEqual(other);
  expect(decode(first.encode(other))).toEqual(other);

  const mixed = [kept[0] as SourceRow, ...inColumns.slice(0, 2), kept[1] as SourceRow, kept[2] as SourceRow];
  const batch = createRowBatchEncoder(2).encode(mixed);
  expect(createRowBatchDecoder().rows(dropRows(batch, new Set([0, 4])))).toEqual(mixed.slice(1, 4));
  expect(() => dropRows(batch, new Set([1]))).toThrow(/held whole/);
});
