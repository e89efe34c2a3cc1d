import { weightedTable, type Random } from './random.js';

const GRU = 'DUO:0000042';
const HMB = 'DUO:0000006';
const DS = 'DUO:0000007';
const NRES = 'DUO:0000004';
const POA = 'DUO:0000011';
const NPOA = 'DUO:0000044';

/** The primary DUO permission a donor gives, with its share of donors. */
const PERMISSIONS = weightedTable([
  [GRU, 45],
  [HMB, 35],
  [DS, 12],
  [NRES, 5],
  [POA, 3],
]);

/** DUO modifiers, each added independently with its probability, in this order. */
const MODIFIERS: readonly (readonly [code: string, chance: number])[] = [
  ['DUO:0000045', 0.03], // NPU
  ['DUO:0000046', 0.08], // NCU
  ['DUO:0000019', 0.1], // PUB
  ['DUO:0000021', 0.15], // IRB
  [NPOA, 0.04],
  ['DUO:0000016', 0.03], // GSO
];

/** A donor's consent: one primary permission first, then any modifiers. */
export function drawConsent(rng: Random): string[] {
  const permission = rng.weighted(PERMISSIONS);
  const consent = [permission];
  for (const [code, chance] of MODIFIERS) {
    // Prohibiting ancestry research contradicts a permission for ancestry research only.
    if (rng.chance(chance) && !(code === NPOA && permission === POA)) consent.push(code);
  }
  return consent;
}
