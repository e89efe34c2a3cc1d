import { MATERIAL_TYPES, SEXES, STATUSES, STORAGE_TEMPERATURES } from '../specimen.js';
import { MATERIAL_TYPE_LABELS, SEX_LABELS, STATUS_LABELS, STORAGE_TEMPERATURE_LABELS } from './labels.js';

describe('vocabulary labels', () => {
  test.each([
    ['material types', MATERIAL_TYPES, MATERIAL_TYPE_LABELS],
    ['storage temperatures', STORAGE_TEMPERATURES, STORAGE_TEMPERATURE_LABELS],
    ['sexes', SEXES, SEX_LABELS],
    ['statuses', STATUSES, STATUS_LABELS],
  ] as [string, readonly string[], Readonly<Record<string, string>>][])('every one of the %s has a distinct label', (_name, values, labels) => {
    expect(Object.keys(labels).sort()).toEqual([...values].sort());
    expect(new Set(Object.values(labels)).size).toBe(values.length);
  });

  test('labels use MIABIS wording', () => {
    expect(MATERIAL_TYPE_LABELS['tissue-ffpe']).toBe('Tissue (FFPE)');
    expect(MATERIAL_TYPE_LABELS.csf).toBe('Cerebrospinal fluid');
    expect(STORAGE_TEMPERATURE_LABELS['-60to-85']).toBe('-60 °C to -85 °C');
    expect(STORAGE_TEMPERATURE_LABELS.LN).toMatch(/^Liquid nitrogen/);
  });
});
