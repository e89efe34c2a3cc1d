import type { CatalogueStatus } from '@biospec/catalogue';
import { indexProblem, indexStateOf } from './index-state.js';

const built = { epoch: 3, rows: 1200, ms: 250, from: 'build' as const };
const of = (status: Partial<CatalogueStatus>) => ({ status: (): CatalogueStatus => ({ state: 'warming', dataEpoch: 4, serving: null, answering: 'none', ...status }) });

test('a node is not ready until a count index answers; then an import (a newer index building) does not make it unready', () => {
  expect(indexProblem(of({ state: 'warming', serving: null }))).toBe('count index warming up');
  expect(indexProblem(of({ state: 'warming', serving: built, answering: 'stale-index' }))).toBeUndefined();
  expect(indexProblem(of({ state: 'ready', dataEpoch: 3, serving: built, answering: 'index' }))).toBeUndefined();
  expect(indexProblem(of({ state: 'off', answering: 'sql' }))).toBeUndefined();
});

test('a failed first build says why; a failed rebuild while an older index answers does not unready the node', () => {
  expect(indexProblem(of({ state: 'failed', cause: 'disk full' }))).toBe('count index build failed: disk full');
  expect(indexProblem(of({ state: 'failed', cause: 'disk full', serving: built, answering: 'stale-index' }))).toBeUndefined();
});

test("the metrics' index state carries the answering index's build time", () => {
  expect(indexStateOf(of({ state: 'ready', serving: built }))).toEqual({ state: 'ready', buildSeconds: 0.25 });
  expect(indexStateOf(of({ state: 'warming' }))).toEqual({ state: 'warming' });
});
