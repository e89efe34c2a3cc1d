import { DisclosureKind, type ReleasedFigure } from '@biospec/protocol';
import { mergeFigures, mergeStrata } from './merge.js';

const figure = (kind: DisclosureKind, value?: number, threshold = 10): ReleasedFigure => ({
  ...(value === undefined ? {} : { value }),
  disclosure: { kind, threshold, rounding: 10, mechanism: 'none', epsilon: 0, sigma: 0, clamp: 0, sensitivity: 1, noiseScale: 0 },
  display: '',
});

test('exact figures add up exactly', () => {
  const merged = mergeFigures([figure(DisclosureKind.DISCLOSURE_KIND_EXACT, 1200), figure(DisclosureKind.DISCLOSURE_KIND_EXACT, 34)]);
  expect(merged).toMatchObject({ releasedSum: 1234, exact: true, sitesBelowThreshold: 0, display: '1,234' });
});

test('protected and withheld figures are never presented as exact', () => {
  const merged = mergeFigures([
    figure(DisclosureKind.DISCLOSURE_KIND_ROUNDED, 120),
    figure(DisclosureKind.DISCLOSURE_KIND_BELOW_THRESHOLD),
    figure(DisclosureKind.DISCLOSURE_KIND_BELOW_THRESHOLD, undefined, 5),
  ]);
  expect(merged).toMatchObject({ releasedSum: 120, exact: false, sitesBelowThreshold: 2, withheldMax: 13 });
  expect(merged.display).toBe('about 120 + up to 13 more at 2 sites below threshold');
});

test('when every site withholds, the bound is all that is shown', () => {
  const merged = mergeFigures([figure(DisclosureKind.DISCLOSURE_KIND_BELOW_THRESHOLD), figure(DisclosureKind.DISCLOSURE_KIND_BELOW_THRESHOLD)]);
  expect(merged.display).toBe('at most 18 (2 sites below threshold)');
});

test('no answers says so', () => {
  expect(mergeFigures([]).display).toBe('no site answered');
});

test('strata merge cell by cell whatever the key order', () => {
  const cells = [
    { material_type: 'serum', sex: 'female' },
    { material_type: 'dna', sex: 'male' },
    { material_type: 'rna', sex: 'male' },
  ];
  const merged = mergeStrata(cells, [
    [{ key: { sex: 'female', material_type: 'serum' }, figure: figure(DisclosureKind.DISCLOSURE_KIND_EXACT, 5) }],
    [
      { key: { material_type: 'serum', sex: 'female' }, figure: figure(DisclosureKind.DISCLOSURE_KIND_EXACT, 7) },
      { key: { material_type: 'dna', sex: 'male' }, figure: figure(DisclosureKind.DISCLOSURE_KIND_EXACT, 3) },
    ],
  ]);
  // Every cell of the question, in its order, whatever the sites released.
  expect(merged.map((m) => [m.key, m.total?.releasedSum, m.total?.display])).toEqual([
    [{ material_type: 'serum', sex: 'female' }, 12, '12'],
    [{ material_type: 'dna', sex: 'male' }, 3, '3'],
    [{ material_type: 'rna', sex: 'male' }, 0, 'no site answered'],
  ]);
});

test('a stratum out of place, with an extra or a missing dimension, is merged only where its key says', () => {
  const cells = [
    { material_type: 'serum', sex: 'female' },
    { material_type: 'serum', sex: 'male' },
  ];
  const exact = (value: number) => figure(DisclosureKind.DISCLOSURE_KIND_EXACT, value);
  const merged = mergeStrata(cells, [
    // In order.
    [
      { key: { material_type: 'serum', sex: 'female' }, figure: exact(1) },
      { key: { material_type: 'serum', sex: 'male' }, figure: exact(2) },
    ],
    // Swapped: found by key.
    [
      { key: { sex: 'male', material_type: 'serum' }, figure: exact(20) },
      { key: { material_type: 'serum', sex: 'female' }, figure: exact(10) },
    ],
    // Not cells of this question: ignored.
    [
      { key: { material_type: 'serum', sex: 'female', storage_temperature: 'LN' }, figure: exact(1000) },
      { key: { material_type: 'serum' }, figure: exact(1000) },
      { key: { material_type: 'plasma', sex: 'male' }, figure: exact(1000) },
    ],
  ]);
  expect(merged.map((m) => m.total?.releasedSum)).toEqual([11, 22]);
});
