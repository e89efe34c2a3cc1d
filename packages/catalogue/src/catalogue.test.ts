import { existsSync } from 'node:fs';
import type { BiospecError } from '@biospec/protocol';
import type { SourceRow, SpecimenRecord } from '@biospec/query';
import { openCatalogue, type Catalogue } from './catalogue.js';
import { importCsv } from './csv.js';
import { snapshotPathOf } from './index-source.js';
import { CSV_HEADER, contentOf, csvLine, recordsOf, rowsOf, specimen, tempCataloguePath, writeCsv, rejection } from './test-helpers.js';

const BASE: SpecimenRecord[] = [
  specimen({ sample_id: 'S1', donor_id: 'D1' }),
  specimen({ sample_id: 'S2', donor_id: 'D1', material_type: 'dna', parent_sample_id: 'S1' }),
  specimen({ sample_id: 'S3', donor_id: 'D2', material_type: 'plasma' }),
  specimen({ sample_id: 'S4', donor_id: 'D3', material_type: 'plasma', diagnosis: ['C50.9', 'E11'] }),
];

describe('importing', () => {
  let catalogue: Catalogue;
  let path: string;
  beforeEach(() => {
    path = tempCataloguePath();
    catalogue = openCatalogue(path);
  });
  afterEach(() => catalogue.close());

  test('a re-import of the same file adds nothing and keeps the epoch', async () => {
    const file = writeCsv([CSV_HEADER, ...BASE.map(csvLine)]);
    const first = await importCsv(catalogue, file, { actor: 'steward' });
    expect(first).toMatchObject({ added: 4, changed: 0, unchanged: 0, removed: 0, rejected: 0, epoch: 1 });
    const content = contentOf(path).replace(/"events":\[.*?\],"withdrawn"/, '');
    const again = await importCsv(catalogue, file);
    expect(again).toMatchObject({ added: 0, changed: 0, unchanged: 4, removed: 0, epoch: 1 });
    expect(contentOf(path).replace(/"events":\[.*?\],"withdrawn"/, '')).toBe(content);
    expect(catalogue.size()).toBe(4);
  });

  test('changed, added and (with removeMissing) removed rows are counted; the epoch bumps once', async () => {
    await catalogue.importRows(rowsOf(BASE));
    const next = [
      BASE[0] as SpecimenRecord,
      { ...(BASE[1] as SpecimenRecord), quantity: 7 },
      { ...(BASE[2] as SpecimenRecord), diagnosis: ['I10'] },
      specimen({ sample_id: 'S5', donor_id: 'D4' }),
    ];
    const kept = await catalogue.importRows(rowsOf(next));
    expect(kept).toMatchObject({ added: 1, changed: 2, unchanged: 1, removed: 0, epoch: 2 });
    expect(catalogue.size()).toBe(5);
    const replaced = await catalogue.importRows(rowsOf(next), { removeMissing: true });
    expect(replaced).toMatchObject({ added: 0, changed: 0, unchanged: 4, removed: 1, epoch: 3 });
    expect(Object.keys(recordsOf(path))).toEqual(['S1', 'S2', 'S3', 'S5']);
    expect(recordsOf(path).S3).toMatchObject({ diagnosis: 'I10' });
    expect((await catalogue.count({ unit: 'aliquots', where: { op: 'diagnosis', codes: ['C50'] } })).total).toBe(3);
    expect((await catalogue.count({ unit: 'aliquots', where: { op: 'diagnosis', codes: ['I10'] } })).total).toBe(1);
  });

  test('removeMissing with no rows at all is refused', async () => {
    await catalogue.importRows(rowsOf(BASE));
    const error = await rejection(catalogue.importRows(rowsOf([]), { removeMissing: true }));
    expect(error.code).toBe('INVALID_DATA');
    expect(catalogue.size()).toBe(4);
  });

  test('roots follow the parent chain through all records, parents listed later and withdrawn ones too', async () => {
    await catalogue.importRows(
      rowsOf([
        specimen({ sample_id: 'A3', parent_sample_id: 'A2' }),
        specimen({ sample_id: 'A2', parent_sample_id: 'A1' }),
        specimen({ sample_id: 'A1', status: 'withdrawn' }),
        specimen({ sample_id: 'B2', parent_sample_id: 'GONE' }),
        specimen({ sample_id: 'B3', parent_sample_id: 'B2' }),
      ]),
    );
    const roots = Object.fromEntries(Object.entries(recordsOf(path)).map(([id, r]) => [id, r.root_id]));
    expect(roots).toEqual({ A1: 'A1', A2: 'A1', A3: 'A1', B2: 'GONE', B3: 'GONE' });
    expect((await catalogue.count({ unit: 'specimens' })).total).toBe(2);

    // Re-parenting a specimen moves its descendants' roots with it.
    await catalogue.importRows(rowsOf([specimen({ sample_id: 'A2', parent_sample_id: 'B3' })]));
    expect(recordsOf(path).A3?.root_id).toBe('GONE');
  });

  test("roots stay within the donor: another donor's parent (listed before or after) is itself the root, and a donor change moves roots", async () => {
    await catalogue.importRows(
      rowsOf([
        specimen({ sample_id: 'P1', donor_id: 'D0' }),
        specimen({ sample_id: 'P2', donor_id: 'D0', parent_sample_id: 'P1' }),
        // Parent written before, in the same buffer: another donor's, so the root is the parent itself.
        specimen({ sample_id: 'X1', donor_id: 'D1', parent_sample_id: 'P2' }),
        specimen({ sample_id: 'X2', donor_id: 'D1', parent_sample_id: 'X1' }),
        // Parent listed later (resolved in SQL), of another donor.
        specimen({ sample_id: 'Y1', donor_id: 'D2', parent_sample_id: 'Q1' }),
        specimen({ sample_id: 'Q1', donor_id: 'D3' }),
      ]),
    );
    const roots = () => Object.fromEntries(Object.entries(recordsOf(path)).map(([id, r]) => [id, r.root_id]));
    expect(roots()).toEqual({ P1: 'P1', P2: 'P1', X1: 'P2', X2: 'P2', Y1: 'Q1', Q1: 'Q1' });
    // D0's P1 and D1's P2 are two specimens, D2's Q1 and D3's Q1 two more.
    expect((await catalogue.count({ unit: 'specimens' })).total).toBe(4);

    // X1 moves to D0: its root becomes P1, and X2 (still D1's) now has X1, another donor's record, as its root.
    await catalogue.importRows(rowsOf([specimen({ sample_id: 'X1', donor_id: 'D0', parent_sample_id: 'P2' })]));
    expect(roots()).toMatchObject({ X1: 'P1', X2: 'X1' });
  });

  test('a parent cycle rejects the import, naming the samples', async () => {
    await catalogue.importRows(rowsOf(BASE));
    const before = contentOf(path);
    const error = await rejection(
      catalogue.importRows(
        rowsOf([
          specimen({ sample_id: 'C1', parent_sample_id: 'C3' }),
          specimen({ sample_id: 'C2', parent_sample_id: 'C1' }),
          specimen({ sample_id: 'C3', parent_sample_id: 'C2' }),
          specimen({ sample_id: 'C4', parent_sample_id: 'C3' }),
        ]),
      ),
    );
    expect(error.code).toBe('INVALID_DATA');
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ field: 'parent_sample_id' });
    expect(error.issues[0]?.message).toMatch(/cycle: 'C\d' -> 'C\d' -> 'C\d' -> 'C\d'/);
    expect(contentOf(path)).toBe(before);
  });

  test('rows from non-file sources are located by their reference', async () => {
    async function* fhir(): AsyncGenerator<SourceRow> {
      yield { ref: 'Specimen/a', record: specimen({ sample_id: 'F1' }) };
      yield { ref: 'Specimen/b', issues: [{ field: 'type', message: 'unknown specimen type' }] };
      yield { ref: 'Specimen/c', record: specimen({ sample_id: 'F3', quantity: -1 }) };
      yield { record: specimen({ sample_id: 'F1' }) };
    }
    const error = await rejection(catalogue.importRows(fhir()));
    expect(error.message).toBe('3 of 4 rows rejected; nothing was imported');
    expect(error.issues).toEqual([
      { field: 'Specimen/b.type', message: 'unknown specimen type' },
      { field: 'Specimen/c.quantity', message: 'quantity -1 is negative; it counts aliquots or amount left' },
      { field: 'row 4.sample_id', message: "duplicate sample_id 'F1' (first on row 1)" },
    ]);
    expect(catalogue.size()).toBe(0);
    expect(catalogue.epoch()).toBe(0);
  });

  test('counts during an import see the last committed data; a second import waits its turn', async () => {
    await catalogue.importRows(rowsOf(BASE));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slow(): AsyncGenerator<SourceRow> {
      yield { line: 2, record: specimen({ sample_id: 'N1' }) };
      await gate;
      yield { line: 3, record: specimen({ sample_id: 'N2' }) };
    }
    const running = catalogue.importRows(slow());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(catalogue.size()).toBe(4);
    expect((await catalogue.count({ unit: 'aliquots' })).total).toBe(4);
    expect(() => catalogue.withdrawDonor('D1')).toThrow(/import .* is in progress/);
    await expect(catalogue.importRows(rowsOf([]))).rejects.toThrow(/in progress/);
    release();
    await expect(running).resolves.toMatchObject({ added: 2, epoch: 2 });
    expect(catalogue.size()).toBe(6);
  });

  test('progress is reported with the rows read', async () => {
    const seen: number[] = [];
    await catalogue.importRows(rowsOf(BASE), { onProgress: (n) => seen.push(n) });
    expect(seen.at(-1)).toBe(4);
  });
});

describe('consent withdrawal', () => {
  test('withdraws every specimen of the donor at once, for good, with an event', async () => {
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path);
    await catalogue.importRows(rowsOf(BASE), { actor: 'importer', source: 'base.csv' });
    expect(catalogue.withdrawDonor('D1', { actor: 'steward', reason: 'donor request' })).toEqual({ specimens: 2, epoch: 2 });
    expect(catalogue.size()).toBe(2);
    expect((await catalogue.count({ unit: 'donors' })).total).toBe(2);
    expect(recordsOf(path).S1?.status).toBe('withdrawn');

    // A later import that still says "available" cannot bring them back.
    const again = await catalogue.importRows(rowsOf(BASE));
    expect(again).toMatchObject({ added: 0, changed: 0, unchanged: 4, epoch: 2 });
    expect(catalogue.size()).toBe(2);
    // Nor can a new specimen of that donor be counted.
    await catalogue.importRows(rowsOf([specimen({ sample_id: 'S9', donor_id: 'D1' })]));
    expect(recordsOf(path).S9?.status).toBe('withdrawn');

    const [last, , withdrawal, first] = catalogue.events();
    expect(withdrawal).toMatchObject({ kind: 'withdrawal', actor: 'steward', donorId: 'D1', reason: 'donor request', withdrawn: 2, epoch: 2 });
    expect(first).toMatchObject({ kind: 'import', actor: 'importer', source: 'base.csv', added: 4, epoch: 1 });
    expect(last).toMatchObject({ kind: 'import', added: 1, epoch: 3 });
    expect(catalogue.events(2)).toHaveLength(2);

    let error: unknown;
    try {
      catalogue.withdrawDonor('NOBODY');
    } catch (e) {
      error = e;
    }
    expect((error as BiospecError).code).toBe('NOT_FOUND');
    catalogue.close();
  });
});

describe('summary and read-only access', () => {
  test('summary counts non-withdrawn specimens per material type, donors and collections', async () => {
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path);
    await catalogue.importRows(rowsOf([...BASE, specimen({ sample_id: 'S5', donor_id: 'D9', status: 'withdrawn' })]));
    expect(await catalogue.summary()).toEqual({
      specimens: 4,
      donors: 3,
      collections: 1,
      materialTypes: { dna: 1, plasma: 2, serum: 1 },
      epoch: 1,
    });
    catalogue.close();

    const reader = openCatalogue(path, { readonly: true });
    expect(reader.size()).toBe(4);
    expect((await reader.count({ unit: 'donors', where: { op: 'in', field: 'material_type', values: ['plasma'] } })).total).toBe(2);
    expect(() => reader.withdrawDonor('D1')).toThrow(/read-only/);
    await expect(reader.importRows(rowsOf(BASE))).rejects.toThrow(/read-only/);
    reader.close();
  });
});

describe('while no count index is ready', () => {
  test('a catalogue too large for SQL says WARMING_UP at once; small ones answer by SQL; then the index answers and is persisted', async () => {
    const path = tempCataloguePath();
    const writer = openCatalogue(path, { countIndex: 'off' });
    await writer.importRows(rowsOf(BASE));
    writer.close();

    // Counted as too large for SQL (no row id is that small): nothing answers until the index is ready.
    const large = openCatalogue(path, { sqlFallbackMaxRows: 0 });
    const warming = await rejection(large.count({ unit: 'donors' }));
    expect(warming.code).toBe('WARMING_UP');
    expect(warming.message).toBe('count index warming up');
    expect(() => large.servingEpoch()).toThrow('count index warming up');
    expect(large.status()).toMatchObject({ state: 'warming', answering: 'none', serving: null, dataEpoch: 1 });
    await large.countIndexReady();
    expect(await large.count({ unit: 'donors' })).toEqual({ epoch: 1, total: 3, strata: [] });
    expect(large.servingEpoch()).toBe(1);
    expect(large.status()).toMatchObject({ state: 'ready', answering: 'index', serving: { epoch: 1, rows: 4, from: 'build' } });
    expect(await large.summary()).toMatchObject({ specimens: 4, donors: 3, epoch: 1 });
    large.close();
    expect(existsSync(snapshotPathOf(path))).toBe(true);

    // A small catalogue answers by SQL before its index is read back.
    const small = openCatalogue(path);
    expect(small.status()).toMatchObject({ answering: 'sql' });
    expect(await small.count({ unit: 'donors' })).toEqual({ epoch: 1, total: 3, strata: [] });
    await small.countIndexReady();
    expect(small.status()).toMatchObject({ state: 'ready', serving: { from: 'file' } });
    small.close();
  });
});
