import { buildIndex } from './build.js';
import { createCountIndex, type CatalogueChange, type IndexSource, type LoadedIndex } from './live-index.js';
import type { IndexRow, RowSnapshot } from './row-source.js';

/** A row of donor `donor` (its own root), material code 0, status code 1, every use permitted. */
function row(id: number, donor: string): IndexRow {
  return [id, donor, `S${id}`, 0, 0, 0, 1, 0, 40, 20190101, 20190101, null, null, 0xff, 1, 0, 0, `S${id}`];
}

const CODES: RowSnapshot['codes'] = [
  ['material_type', 0, 'serum'],
  ['sex', 0, 'female'],
  ['storage_temperature', 0, 'LN'],
  ['status', 1, 'available'],
  ['collection', 0, 'c'],
  ['age_band', 0, '40-49'],
  ['diagnosis_chapter', 0, 'none'],
];

/**
 * A catalogue in memory: its rows (withdrawn ones left out of snapshots), its
 * change log, and builds that wait for the test to let them finish or fail.
 */
function fakeCatalogue(rows: IndexRow[]) {
  let epoch = 1;
  const withdrawn = new Set<string>();
  const changes: CatalogueChange[] = [];
  const builds: { resolve: () => void; reject: (cause: Error) => void }[] = [];
  const snapshot = (): RowSnapshot & { close(): void } => {
    const alive = rows.filter((r) => !withdrawn.has(r[1])).sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    return { epoch, codes: CODES, rows: alive.length, scan: () => alive, close: () => undefined };
  };
  const source: IndexSource = {
    epoch: () => epoch,
    changesBetween: (from, to) => {
      const list = changes.filter((c) => c.epoch > from && c.epoch <= to);
      return list.length > 0 && list[list.length - 1]?.epoch === to ? list : null;
    },
    donorOfRow: (id) => rows.find((r) => r[0] === id)?.[1],
    openSnapshot: snapshot,
    loadOffThread: () => {
      // Read now, as a worker reads its snapshot when it starts; handed over when the test says.
      const taken = snapshot();
      return new Promise<LoadedIndex>((resolve, reject) => {
        builds.push({
          resolve: () => {
            const steps = buildIndex(taken);
            let step = steps.next();
            while (!step.done) step = steps.next();
            resolve({ built: step.value, ms: 1, from: 'build' });
          },
          reject,
        });
      });
    },
  };
  return {
    source,
    builds,
    importRows(more: IndexRow[]) {
      rows.push(...more);
      changes.push({ kind: 'import', donorId: null, epoch: ++epoch });
    },
    withdraw(donor: string) {
      withdrawn.add(donor);
      changes.push({ kind: 'withdrawal', donorId: donor, epoch: ++epoch });
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('a failed build is reported once with its cause, not retried on every count, and retried when the epoch moves', async () => {
  const catalogue = fakeCatalogue([row(1, 'd1')]);
  const failures: string[] = [];
  const index = createCountIndex({ source: catalogue.source, mode: 'background', onFailure: (cause) => failures.push(cause.message) });
  expect(catalogue.builds).toHaveLength(1);
  catalogue.builds[0]!.reject(new Error('disk on fire'));
  await tick();
  for (let i = 0; i < 5; i++) expect(index.count({ unit: 'aliquots' })).toBeUndefined();
  expect(failures).toEqual(['disk on fire']);
  expect(catalogue.builds).toHaveLength(1);
  expect(index.status()).toMatchObject({ state: 'failed', cause: 'disk on fire', serving: null });

  catalogue.importRows([row(2, 'd2')]);
  expect(index.count({ unit: 'aliquots' })).toBeUndefined();
  expect(catalogue.builds).toHaveLength(2);
  catalogue.builds[1]!.resolve();
  await index.idle();
  expect(index.count({ unit: 'aliquots' })).toEqual({ epoch: 2, fresh: true, total: 2, strata: [] });
  expect(index.status()).toMatchObject({ state: 'ready', serving: { epoch: 2, rows: 2 } });
});

test('after an import the old index answers for its epoch; a withdrawal of a donor it counts stops it at once, one of a donor it does not count does not', async () => {
  const catalogue = fakeCatalogue([row(1, 'd1'), row(2, 'd2')]);
  const index = createCountIndex({ source: catalogue.source, mode: 'background' });
  catalogue.builds[0]!.resolve();
  await index.idle();
  expect(index.count({ unit: 'donors' })).toEqual({ epoch: 1, fresh: true, total: 2, strata: [] });

  // A withdrawal alone: applied at once, the index moves to its epoch.
  catalogue.withdraw('d2');
  expect(index.count({ unit: 'donors' })).toEqual({ epoch: 2, fresh: true, total: 1, strata: [] });

  catalogue.importRows([row(3, 'd3'), row(4, 'd4')]);
  expect(index.count({ unit: 'donors' })).toEqual({ epoch: 2, fresh: false, total: 1, strata: [] });
  expect(index.status()).toMatchObject({ state: 'warming', dataEpoch: 3, serving: { epoch: 2 } });
  // d3 came with the import: the old index never counted it, so it stays true for epoch 2.
  catalogue.withdraw('d3');
  expect(index.count({ unit: 'donors' })).toEqual({ epoch: 2, fresh: false, total: 1, strata: [] });
  // d1 it counts: it would be true for no epoch.
  catalogue.withdraw('d1');
  expect(index.count({ unit: 'donors' })).toBeUndefined();
  expect(index.serving()).toBeUndefined();

  // The build started at the import read epoch 3; it catches up with both withdrawals when it lands.
  catalogue.builds[1]!.resolve();
  await index.idle();
  expect(index.count({ unit: 'donors' })).toEqual({ epoch: 5, fresh: true, total: 1, strata: [] });
});
