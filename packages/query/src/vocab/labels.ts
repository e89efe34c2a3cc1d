/**
 * Human labels for the sample vocabularies, in MIABIS 2.0 wording (material
 * types as the bbmri.de sample-type list words them). Sources and versions:
 * packages/query/VOCABULARIES.md.
 */
import type { MaterialType, Sex, SpecimenStatus, StorageTemperature } from '../specimen.js';

/** MIABIS 2.0 MaterialType / bbmri.de sample type labels. */
export const MATERIAL_TYPE_LABELS: Readonly<Record<MaterialType, string>> = {
  'whole-blood': 'Whole blood',
  serum: 'Serum',
  plasma: 'Plasma',
  'buffy-coat': 'Buffy coat',
  pbmc: 'Peripheral blood mononuclear cells (PBMC)',
  dna: 'DNA',
  rna: 'RNA',
  'tissue-frozen': 'Tissue (frozen)',
  'tissue-ffpe': 'Tissue (FFPE)',
  urine: 'Urine',
  saliva: 'Saliva',
  csf: 'Cerebrospinal fluid',
  feces: 'Faeces',
  'cell-line': 'Cell line',
  other: 'Other',
};

/** MIABIS 2.0 StorageTemperature labels. */
export const STORAGE_TEMPERATURE_LABELS: Readonly<Record<StorageTemperature, string>> = {
  RT: 'Room temperature',
  '2to10': '2 °C to 10 °C',
  '-18to-35': '-18 °C to -35 °C',
  '-60to-85': '-60 °C to -85 °C',
  LN: 'Liquid nitrogen (-150 °C to -196 °C)',
  other: 'Other storage temperature',
};

/** MIABIS 2.0 Sex labels. */
export const SEX_LABELS: Readonly<Record<Sex, string>> = {
  female: 'Female',
  male: 'Male',
  other: 'Other',
  unknown: 'Unknown',
};

export const STATUS_LABELS: Readonly<Record<SpecimenStatus, string>> = {
  available: 'Available',
  reserved: 'Reserved',
  depleted: 'Depleted',
  withdrawn: 'Withdrawn',
};
