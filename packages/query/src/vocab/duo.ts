/**
 * Data Use Ontology (DUO) codes, from the GA4GH DUO release 2021-02-23
 * (https://github.com/EBISPOT/DUO). Primary codes say which research a donor
 * permits; modifiers add conditions on the requester or further restrict use.
 */
export interface DuoTerm {
  code: string;
  abbreviation: string;
  label: string;
  kind: 'permission' | 'modifier';
}

export const DUO_TERMS: readonly DuoTerm[] = [
  { code: 'DUO:0000004', abbreviation: 'NRES', label: 'no restriction', kind: 'permission' },
  { code: 'DUO:0000042', abbreviation: 'GRU', label: 'general research use', kind: 'permission' },
  { code: 'DUO:0000006', abbreviation: 'HMB', label: 'health or medical or biomedical research', kind: 'permission' },
  { code: 'DUO:0000007', abbreviation: 'DS', label: 'disease specific research', kind: 'permission' },
  { code: 'DUO:0000011', abbreviation: 'POA', label: 'population origins or ancestry research only', kind: 'permission' },
  { code: 'DUO:0000012', abbreviation: 'RS', label: 'research specific restrictions', kind: 'modifier' },
  { code: 'DUO:0000015', abbreviation: 'NMDS', label: 'no general methods research', kind: 'modifier' },
  { code: 'DUO:0000016', abbreviation: 'GSO', label: 'genetic studies only', kind: 'modifier' },
  { code: 'DUO:0000018', abbreviation: 'NPUNCU', label: 'not for profit, non commercial use only', kind: 'modifier' },
  { code: 'DUO:0000019', abbreviation: 'PUB', label: 'publication required', kind: 'modifier' },
  { code: 'DUO:0000020', abbreviation: 'COL', label: 'collaboration required', kind: 'modifier' },
  { code: 'DUO:0000021', abbreviation: 'IRB', label: 'ethics approval required', kind: 'modifier' },
  { code: 'DUO:0000022', abbreviation: 'GS', label: 'geographical restriction', kind: 'modifier' },
  { code: 'DUO:0000024', abbreviation: 'MOR', label: 'publication moratorium', kind: 'modifier' },
  { code: 'DUO:0000025', abbreviation: 'TS', label: 'time limit on use', kind: 'modifier' },
  { code: 'DUO:0000026', abbreviation: 'US', label: 'user specific restriction', kind: 'modifier' },
  { code: 'DUO:0000027', abbreviation: 'PS', label: 'project specific restriction', kind: 'modifier' },
  { code: 'DUO:0000028', abbreviation: 'IS', label: 'institution specific restriction', kind: 'modifier' },
  { code: 'DUO:0000029', abbreviation: 'RTN', label: 'return to database or resource', kind: 'modifier' },
  { code: 'DUO:0000043', abbreviation: 'CC', label: 'clinical care use', kind: 'modifier' },
  { code: 'DUO:0000044', abbreviation: 'NPOA', label: 'population origins or ancestry research prohibited', kind: 'modifier' },
  { code: 'DUO:0000045', abbreviation: 'NPU', label: 'not for profit organisation use only', kind: 'modifier' },
  { code: 'DUO:0000046', abbreviation: 'NCU', label: 'non-commercial use only', kind: 'modifier' },
];

const BY_CODE = new Map(DUO_TERMS.map((t) => [t.code, t]));

/**
 * The research uses a query can ask consent for, in a fixed order (the catalogue
 * stores a specimen's permitted uses as a bitmask over this list, so never reorder it).
 */
export const USE_CATEGORIES = ['DUO:0000004', 'DUO:0000042', 'DUO:0000006', 'DUO:0000007', 'DUO:0000011'] as const;
export type UseCategory = (typeof USE_CATEGORIES)[number];

/**
 * What each permission code allows, per the DUO hierarchy: no restriction
 * covers everything; general research use covers health/medical/biomedical,
 * disease-specific and ancestry research; HMB covers disease-specific research.
 */
const PERMITS: Record<UseCategory, readonly UseCategory[]> = {
  'DUO:0000004': ['DUO:0000004', 'DUO:0000042', 'DUO:0000006', 'DUO:0000007', 'DUO:0000011'],
  'DUO:0000042': ['DUO:0000042', 'DUO:0000006', 'DUO:0000007', 'DUO:0000011'],
  'DUO:0000006': ['DUO:0000006', 'DUO:0000007'],
  'DUO:0000007': ['DUO:0000007'],
  'DUO:0000011': ['DUO:0000011'],
};

export function duoTerm(code: string): DuoTerm | undefined {
  return BY_CODE.get(code);
}

export function isUseCategory(code: string): code is UseCategory {
  return (USE_CATEGORIES as readonly string[]).includes(code);
}

/** The research uses a donor's consent codes permit, modifiers applied (NPOA removes ancestry research). */
export function permittedUses(consent: readonly string[]): Set<UseCategory> {
  const uses = new Set<UseCategory>();
  for (const code of consent) {
    if (isUseCategory(code)) for (const use of PERMITS[code]) uses.add(use);
  }
  if (consent.includes('DUO:0000044')) uses.delete('DUO:0000011');
  return uses;
}

/** True when consent given as `consent` permits research of category `use`. */
export function consentPermits(consent: readonly string[], use: UseCategory): boolean {
  return permittedUses(consent).has(use);
}

/** Bitmask over {@link USE_CATEGORIES} of the uses `consent` permits. */
export function permittedUseMask(consent: readonly string[]): number {
  let mask = 0;
  for (const use of permittedUses(consent)) mask |= useBit(use);
  return mask;
}

export function useBit(use: UseCategory): number {
  return 1 << USE_CATEGORIES.indexOf(use);
}
