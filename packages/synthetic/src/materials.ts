import type { MaterialType, StorageTemperature } from '@biospec/query';
import { weightedTable, type WeightedTable } from './random.js';

/** How a material is usually stored and how much of it a record holds. */
export interface MaterialHandling {
  /** Storage temperature classes with their relative frequency. */
  storage: WeightedTable<StorageTemperature>;
  /** Inclusive range of `quantity` for a primary or derived record that is not depleted (aliquots hold 1). */
  quantity: readonly [number, number];
}

const handling = (
  storage: readonly (readonly [StorageTemperature, number])[],
  quantity: readonly [number, number],
): MaterialHandling => ({ storage: weightedTable(storage), quantity });

/**
 * Storage practice per material, following common biobank SOPs: FFPE blocks at
 * room temperature, nucleic acids in the fridge or freezer, fluids at -80 °C,
 * viable cells in liquid nitrogen. Quantities are blocks, vials or tubes,
 * and micrograms for DNA and RNA.
 */
export const MATERIAL_HANDLING: Readonly<Record<MaterialType, MaterialHandling>> = {
  'whole-blood': handling([['-60to-85', 50], ['-18to-35', 35], ['2to10', 15]], [1, 3]),
  serum: handling([['-60to-85', 85], ['LN', 8], ['-18to-35', 7]], [1, 2]),
  plasma: handling([['-60to-85', 85], ['LN', 8], ['-18to-35', 7]], [1, 2]),
  'buffy-coat': handling([['-60to-85', 80], ['LN', 15], ['-18to-35', 5]], [1, 2]),
  pbmc: handling([['LN', 90], ['-60to-85', 10]], [1, 6]),
  dna: handling([['-18to-35', 50], ['2to10', 30], ['-60to-85', 20]], [1, 60]),
  rna: handling([['-60to-85', 90], ['LN', 10]], [1, 20]),
  'tissue-frozen': handling([['-60to-85', 55], ['LN', 45]], [1, 6]),
  'tissue-ffpe': handling([['RT', 97], ['2to10', 3]], [1, 30]),
  urine: handling([['-60to-85', 80], ['-18to-35', 20]], [1, 3]),
  saliva: handling([['-60to-85', 60], ['-18to-35', 30], ['RT', 10]], [1, 2]),
  csf: handling([['-60to-85', 90], ['LN', 10]], [1, 2]),
  feces: handling([['-60to-85', 90], ['-18to-35', 10]], [1, 3]),
  'cell-line': handling([['LN', 95], ['-60to-85', 5]], [1, 10]),
  other: handling([['-60to-85', 60], ['-18to-35', 20], ['RT', 20]], [1, 3]),
};

/** True for solid tissue, the only material that carries an anatomical site of its own. */
export function isTissue(material: MaterialType): boolean {
  return material === 'tissue-frozen' || material === 'tissue-ffpe';
}
