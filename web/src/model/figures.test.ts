import type { ReleasedFigureJson } from '../api/types.js';
import { barLabel, barOf, boundsOf, laplaceHalfWidth95, protectionDetail, protectionMark } from './figures.js';

const noisy: ReleasedFigureJson = {
  value: 80,
  display: 'about 80 (noisy, Laplace ε=0.1, rounded to 10)',
  disclosure: { kind: 'DISCLOSURE_KIND_NOISY', threshold: 10, rounding: 10, mechanism: 'laplace', epsilon: 0.1, sensitivity: 5, noiseScale: 50 },
};
const below: ReleasedFigureJson = {
  display: '<10',
  disclosure: { kind: 'DISCLOSURE_KIND_BELOW_THRESHOLD', threshold: 10, rounding: 10, mechanism: 'none', sensitivity: 5 },
};
const exact: ReleasedFigureJson = { value: 42, display: '42', disclosure: { kind: 'DISCLOSURE_KIND_EXACT' } };

describe('the noise interval', () => {
  test('matches the table in docs/PRIVACY.md (95 % within ±x before rounding)', () => {
    // ε 0.1: donors (Δ 1), specimens (cap 5), aliquots (cap 25); ε 0.05 and 0.5 for donors.
    expect(laplaceHalfWidth95(10)).toBe(30);
    expect(laplaceHalfWidth95(50)).toBe(150);
    expect(laplaceHalfWidth95(250)).toBe(749);
    expect(laplaceHalfWidth95(20)).toBe(60);
    expect(laplaceHalfWidth95(2)).toBe(6);
  });

  test('is no interval without noise', () => {
    expect(laplaceHalfWidth95(0)).toBe(0);
  });
});

describe('a protected figure is never shown as exact', () => {
  test('a noisy value is drawn approximate, with its interval, and labelled ≈', () => {
    expect(barOf(noisy)).toEqual({ kind: 'value', value: 80, approximate: true, halfWidth: 150 });
    expect(barLabel(noisy)).toBe('≈ 80');
    expect(protectionMark(noisy)).toBe('noisy');
    expect(protectionDetail(noisy)).toContain('ε=0.1');
  });

  test('below threshold is the band of values it may be, with no number', () => {
    expect(barOf(below)).toEqual({ kind: 'below', upTo: 9 });
    expect(barLabel(below)).toBe('< 10');
    expect(protectionDetail(below)).toContain('no number is released');
  });

  test('only an exact figure is labelled with its bare number', () => {
    expect(barOf(exact)).toEqual({ kind: 'value', value: 42, approximate: false, halfWidth: null });
    expect(barLabel(exact)).toBe('42');
  });

  test('a held figure draws nothing', () => {
    expect(barOf({ display: 'held for review', disclosure: { kind: 'DISCLOSURE_KIND_HELD' } })).toEqual({ kind: 'none' });
  });
});

describe('merged bounds', () => {
  test('add what below-threshold sites may hold to what was released', () => {
    expect(boundsOf({ releasedSum: 80, sitesBelowThreshold: 2, withheldMax: 18, display: 'about 80 + up to 18 more at 2 sites below threshold' })).toEqual({
      released: 80,
      upper: 98,
      sitesBelowThreshold: 2,
      exact: false,
    });
    expect(boundsOf(undefined)).toEqual({ released: 0, upper: 0, sitesBelowThreshold: 0, exact: false });
  });
});
