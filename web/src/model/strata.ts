/** Strata cells in words and in a stable key, so a merged cell finds each site's figure for it. */
import { ICD10_CHAPTERS, MATERIAL_TYPE_LABELS, SEX_LABELS, STORAGE_TEMPERATURE_LABELS } from '@biospec/query/browser';

export function cellKey(key: Record<string, string> | undefined): string {
  return JSON.stringify(Object.entries(key ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function valueLabel(dimension: string, value: string): string {
  switch (dimension) {
    case 'material_type':
      return MATERIAL_TYPE_LABELS[value as keyof typeof MATERIAL_TYPE_LABELS] ?? value;
    case 'sex':
      return SEX_LABELS[value as keyof typeof SEX_LABELS] ?? value;
    case 'storage_temperature':
      return STORAGE_TEMPERATURE_LABELS[value as keyof typeof STORAGE_TEMPERATURE_LABELS] ?? value;
    case 'diagnosis_chapter': {
      const chapter = ICD10_CHAPTERS.find((c) => c.chapter === value);
      return chapter ? `${chapter.chapter} ${chapter.label}` : value === 'none' ? 'no diagnosis' : value;
    }
    case 'age_band':
      return value === 'unknown' ? 'age unknown' : `age ${value}`;
    default:
      return value;
  }
}

/** "Female · age 40-49", in the order the query's stratify lists the dimensions. */
export function cellLabel(key: Record<string, string> | undefined, order: readonly string[]): string {
  const entries = Object.entries(key ?? {});
  entries.sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
  return entries.map(([dimension, value]) => valueLabel(dimension, value)).join(' · ');
}
