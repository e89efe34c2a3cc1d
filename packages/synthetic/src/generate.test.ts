import { BiospecError } from '@biospec/protocol';
import {
  duoTerm,
  isIcd10Code,
  MATERIAL_TYPES,
  SEXES,
  SPECIMEN_FIELDS,
  STATUSES,
  STORAGE_TEMPERATURES,
  type SpecimenRecord,
} from '@biospec/query';
import { generateCatalogue, type GenerateOptions } from './generate.js';
import { PROFILE_NAMES, PROFILES, type ProfileName } from './profiles.js';

const take = (options: GenerateOptions, n: number): SpecimenRecord[] => {
  const out: SpecimenRecord[] = [];
  for (const record of generateCatalogue(options)) {
    if (out.length === n) break;
    out.push(record);
  }
  return out;
};

const PREFIX: Record<ProfileName, string> = { 'university-hospital': 'UH', 'cardiology-centre': 'CC', 'population-biobank': 'PB' };
const catalogues = new Map<ProfileName, SpecimenRecord[]>(
  PROFILE_NAMES.map((profile) => [profile, [...generateCatalogue({ seed: 'test', donors: 4000, profile, idPrefix: PREFIX[profile] })]]),
);
const catalogue = (profile: ProfileName): SpecimenRecord[] => catalogues.get(profile) ?? [];
const all = PROFILE_NAMES.flatMap(catalogue);

const share = <T>(records: readonly T[], test: (r: T) => boolean): number => records.filter(test).length / records.length;
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const PERMISSIONS = new Set(['DUO:0000004', 'DUO:0000042', 'DUO:0000006', 'DUO:0000007', 'DUO:0000011']);

const DATE = /^(200[5-9]|201\d|202[0-5])(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/;
const FIELDS = [...SPECIMEN_FIELDS].sort().join();

/** Names of the fields of `r` that break the vocabularies or the generator's contract. */
function problemsOf(r: SpecimenRecord, prefix: string): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, field: string): void => {
    if (!ok) problems.push(field);
  };
  check(Object.keys(r).sort().join() === FIELDS, 'fields');
  check(new RegExp(`^${prefix}-S\\d{8}$`).test(r.sample_id), 'sample_id');
  check(new RegExp(`^${prefix}-D\\d{7}$`).test(r.donor_id), 'donor_id');
  check(new RegExp(`^${prefix}-[A-Z-]+-20[0-2]\\d$`).test(r.collection_id), 'collection_id');
  check((MATERIAL_TYPES as readonly string[]).includes(r.material_type), 'material_type');
  check(r.collected_on === null || (DATE.test(r.collected_on) && r.collected_on.slice(0, 4) >= r.collection_id.slice(-4)), 'collected_on');
  check(
    r.diagnosis.every(isIcd10Code) && new Set(r.diagnosis.map((c) => c.slice(0, 3))).size === r.diagnosis.length,
    'diagnosis',
  );
  check(r.anatomical_site === null || /^C\d{2}\.\d$/.test(r.anatomical_site), 'anatomical_site');
  check((SEXES as readonly string[]).includes(r.sex), 'sex');
  const age = r.age_at_collection;
  check(age === null || (Number.isInteger(age) && age >= 0 && age <= 110), 'age_at_collection');
  check((STORAGE_TEMPERATURES as readonly string[]).includes(r.storage_temperature), 'storage_temperature');
  const permissions = r.consent.filter((c) => duoTerm(c)?.kind === 'permission');
  check(r.consent.length > 0 && r.consent.every((c) => duoTerm(c) !== undefined) && permissions.length === 1 && permissions[0] === r.consent[0], 'consent');
  check((STATUSES as readonly string[]).includes(r.status), 'status');
  check(Number.isInteger(r.quantity) && r.quantity >= 0 && (r.quantity === 0) === (r.status === 'depleted'), 'quantity');
  return problems;
}

const ALIQUOTED = new Set(['serum', 'plasma', 'urine', 'saliva', 'feces', 'pbmc', 'buffy-coat']);
const EXTRACTED_FROM = new Set(['whole-blood', 'tissue-frozen', 'buffy-coat', 'saliva']);

/** An aliquot (same material and freezer) or a DNA/RNA derivative of an earlier primary of the same donor. */
function isPlausibleChild(child: SpecimenRecord, parent: SpecimenRecord | undefined): boolean {
  if (parent === undefined || parent.parent_sample_id !== null) return false;
  const sameEvent =
    parent.donor_id === child.donor_id && parent.collected_on === child.collected_on && parent.collection_id === child.collection_id;
  const aliquot =
    child.material_type === parent.material_type &&
    ALIQUOTED.has(child.material_type) &&
    child.storage_temperature === parent.storage_temperature;
  const derivative = (child.material_type === 'dna' || child.material_type === 'rna') && EXTRACTED_FROM.has(parent.material_type);
  return sameEvent && (aliquot || derivative);
}

describe('generateCatalogue determinism', () => {
  const options: GenerateOptions = { seed: 2024, donors: 500, profile: 'university-hospital', idPrefix: 'UH' };

  test('equal options give the identical first 1000 records', () => {
    const first = take(options, 1000);
    expect(first).toHaveLength(1000);
    expect(take(options, 1000)).toEqual(first);
  });

  test('a different seed gives different records', () => {
    const first = take(options, 1000);
    const other = take({ ...options, seed: 2025 }, 1000);
    const same = first.filter((r, i) => JSON.stringify(r) === JSON.stringify(other[i])).length;
    expect(same).toBeLessThan(10);
  });

  test('sites with the same seed and profile but different prefixes differ', () => {
    const a = take(options, 200).map((r) => r.material_type + r.collected_on);
    const b = take({ ...options, idPrefix: 'UH2' }, 200).map((r) => r.material_type + r.collected_on);
    expect(a).not.toEqual(b);
  });

  test('is lazy: asking for a few records of a huge catalogue is instant', () => {
    const started = Date.now();
    expect(take({ ...options, donors: 1_000_000_000 }, 10)).toHaveLength(10);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('every generated record is valid', () => {
  test.each(PROFILE_NAMES)('%s: each field holds an allowed value', (profile) => {
    const records = catalogue(profile);
    expect(records.length).toBeGreaterThan(4000);
    const problems = records.flatMap((r) => problemsOf(r, PREFIX[profile]).map((p) => `${r.sample_id}: ${p}`));
    expect(problems).toEqual([]);
  });

  test('the validity check itself catches bad values', () => {
    const good = catalogue('university-hospital')[0]!;
    expect(problemsOf(good, 'UH')).toEqual([]);
    const bad = { ...good, material_type: 'blood', diagnosis: ['C5'], consent: ['DUO:0000019'], quantity: -1, sex: 'f' };
    expect(problemsOf(bad as unknown as SpecimenRecord, 'UH')).toEqual(
      expect.arrayContaining(['material_type', 'diagnosis', 'sex', 'consent', 'quantity']),
    );
  });

  test('sample ids are unique and donors ids are numbered in order', () => {
    const records = catalogue('university-hospital');
    expect(new Set(records.map((r) => r.sample_id)).size).toBe(records.length);
    const donors = [...new Set(records.map((r) => r.donor_id))];
    expect(donors).toHaveLength(4000);
    expect(donors).toEqual([...donors].sort());
  });

  test('zero donors give an empty catalogue', () => {
    expect([...generateCatalogue({ seed: 1, donors: 0, profile: 'cardiology-centre', idPrefix: 'CC' })]).toEqual([]);
  });
});

describe('plausibility', () => {
  const withCode = (records: readonly SpecimenRecord[], category: string) =>
    records.filter((r) => r.diagnosis.some((c) => c.slice(0, 3) === category));

  test('sex-specific diagnoses', () => {
    const uh = catalogue('university-hospital');
    for (const category of ['C61', 'C62']) {
      expect(withCode(uh, category).length).toBeGreaterThan(0);
      expect(withCode(uh, category).filter((r) => r.sex !== 'male')).toEqual([]);
    }
    for (const category of ['C53', 'C54', 'C56']) {
      expect(withCode(uh, category).length).toBeGreaterThan(0);
      expect(withCode(uh, category).filter((r) => r.sex !== 'female')).toEqual([]);
    }
    const breastDonors = new Map(withCode(uh, 'C50').map((r) => [r.donor_id, r.sex]));
    const female = share([...breastDonors.values()], (s) => s === 'female');
    expect(female).toBeGreaterThan(0.97);
    expect(female).toBeLessThan(1);
  });

  test('age follows the diagnosis and the site', () => {
    const uh = catalogue('university-hospital');
    const breastAges = withCode(uh, 'C50')
      .filter((r) => r.diagnosis[0]?.startsWith('C50'))
      .map((r) => r.age_at_collection)
      .filter((a): a is number => a !== null);
    expect(mean(breastAges)).toBeGreaterThan(55);
    expect(mean(breastAges)).toBeLessThan(66);
    const prostateAges = withCode(uh, 'C61').flatMap((r) => (r.age_at_collection === null ? [] : [r.age_at_collection]));
    expect(Math.min(...prostateAges)).toBeGreaterThanOrEqual(45);
    const populationAges = catalogue('population-biobank').flatMap((r) => (r.age_at_collection === null ? [] : [r.age_at_collection]));
    expect(Math.min(...populationAges)).toBeGreaterThanOrEqual(18);
    expect(Math.max(...populationAges)).toBeLessThanOrEqual(90);
    const unknownAge = share(all, (r) => r.age_at_collection === null);
    expect(unknownAge).toBeGreaterThan(0.005);
    expect(unknownAge).toBeLessThan(0.05);
  });

  test('a donor ages with later collection events, never getting younger', () => {
    const byDonor = new Map<string, SpecimenRecord[]>();
    for (const r of catalogue('cardiology-centre')) byDonor.set(r.donor_id, [...(byDonor.get(r.donor_id) ?? []), r]);
    let multiEvent = 0;
    const youngerLater: string[] = [];
    for (const [donor, records] of byDonor) {
      const ages = records.filter((r) => r.parent_sample_id === null).map((r) => r.age_at_collection ?? 0);
      if (ages.length > 1) multiEvent++;
      if (ages.some((age, i) => i > 0 && age < (ages[i - 1] as number))) youngerLater.push(donor);
    }
    expect(youngerLater).toEqual([]);
    expect(multiEvent).toBeGreaterThan(1000);
  });

  test('about 5% of collection dates are partial, a few unknown', () => {
    const partial = share(all, (r) => r.collected_on !== null && r.collected_on.length < 10);
    expect(partial).toBeGreaterThan(0.03);
    expect(partial).toBeLessThan(0.08);
    expect(all.some((r) => r.collected_on?.length === 4)).toBe(true);
    expect(all.some((r) => r.collected_on?.length === 7)).toBe(true);
    expect(share(all, (r) => r.collected_on === null)).toBeLessThan(0.02);
  });

  test('diagnoses are coded at varying specificity, some donors have two', () => {
    const uh = catalogue('university-hospital');
    const breastCodes = new Set(withCode(uh, 'C50').map((r) => r.diagnosis[0]));
    expect(breastCodes).toContain('C50');
    expect(breastCodes).toContain('C50.4');
    expect(breastCodes).toContain('C50.9');
    const twoDiagnoses = share(all, (r) => r.diagnosis.length === 2);
    expect(twoDiagnoses).toBeGreaterThan(0.05);
    expect(all.every((r) => r.diagnosis.length <= 2)).toBe(true);
  });

  test('anatomical site only on tissue and what was extracted from it, matching the diagnosis', () => {
    const uh = catalogue('university-hospital');
    const bySample = new Map(all.map((r) => [r.sample_id, r]));
    const notFromTissue = all.filter((r) => {
      const source = r.parent_sample_id === null ? r : bySample.get(r.parent_sample_id);
      return r.anatomical_site !== null && !source?.material_type.startsWith('tissue-');
    });
    expect(notFromTissue).toEqual([]);
    const tissue = uh.filter((r) => r.material_type.startsWith('tissue-'));
    expect(tissue.length).toBeGreaterThan(1000);
    const mismatched = tissue.filter((r) => {
      const primary = r.diagnosis[0] ?? '';
      const category = primary.startsWith('C43') ? 'C44' : primary.slice(0, 3);
      const subsite = primary.length > 3 ? primary.slice(3) : r.anatomical_site?.slice(3);
      return r.anatomical_site !== `${category}${subsite}`;
    });
    expect(mismatched).toEqual([]);
  });

  test('storage temperatures are plausible for the material', () => {
    const allowed: Partial<Record<string, readonly string[]>> = {
      'tissue-ffpe': ['RT', '2to10'],
      'tissue-frozen': ['LN', '-60to-85'],
      serum: ['-60to-85', 'LN', '-18to-35'],
      plasma: ['-60to-85', 'LN', '-18to-35'],
      dna: ['-18to-35', '2to10', '-60to-85'],
      rna: ['-60to-85', 'LN'],
      urine: ['-60to-85', '-18to-35'],
      pbmc: ['LN', '-60to-85'],
    };
    expect(all.filter((r) => !(allowed[r.material_type]?.includes(r.storage_temperature) ?? true))).toEqual([]);
    const ffpe = all.filter((r) => r.material_type === 'tissue-ffpe');
    expect(share(ffpe, (r) => r.storage_temperature === 'RT')).toBeGreaterThan(0.9);
    const serum = all.filter((r) => r.material_type === 'serum');
    expect(share(serum, (r) => r.storage_temperature === '-60to-85')).toBeGreaterThan(0.75);
  });

  test('consent: primary permission shares and modifiers', () => {
    const donorConsent = new Map(all.map((r) => [r.donor_id, r.consent]));
    const consents = [...donorConsent.values()];
    const primaryShare = (code: string) => share(consents, (c) => c[0] === code);
    expect(primaryShare('DUO:0000042')).toBeCloseTo(0.45, 1);
    expect(primaryShare('DUO:0000006')).toBeCloseTo(0.35, 1);
    expect(primaryShare('DUO:0000007')).toBeCloseTo(0.12, 1);
    expect(primaryShare('DUO:0000004')).toBeGreaterThan(0.02);
    expect(primaryShare('DUO:0000011')).toBeGreaterThan(0.01);
    expect(consents.filter((c) => !PERMISSIONS.has(c[0] ?? ''))).toEqual([]);
    expect(share(consents, (c) => c.length > 1)).toBeGreaterThan(0.2);
    expect(consents.filter((c) => c[0] === 'DUO:0000011' && c.includes('DUO:0000044'))).toEqual([]);
  });

  test('status shares are near 86/5/6/3', () => {
    expect(share(all, (r) => r.status === 'available')).toBeCloseTo(0.86, 1);
    expect(share(all, (r) => r.status === 'reserved')).toBeCloseTo(0.05, 1);
    expect(share(all, (r) => r.status === 'depleted')).toBeCloseTo(0.06, 1);
    const withdrawn = share(all, (r) => r.status === 'withdrawn');
    expect(withdrawn).toBeGreaterThan(0.015);
    expect(withdrawn).toBeLessThan(0.05);
  });
});

describe('structure', () => {
  test.each(PROFILE_NAMES)('%s: parents come before their children and belong to the same donor', (profile) => {
    const seen = new Map<string, SpecimenRecord>();
    const broken: string[] = [];
    let children = 0;
    for (const r of catalogue(profile)) {
      if (r.parent_sample_id !== null) {
        children++;
        if (!isPlausibleChild(r, seen.get(r.parent_sample_id))) broken.push(r.sample_id);
      }
      seen.set(r.sample_id, r);
    }
    expect(broken).toEqual([]);
    expect(children).toBeGreaterThan(1000);
  });

  test('1 to 4 primary specimens per donor, and donor-level fields never change within a donor', () => {
    const donors = new Map<string, SpecimenRecord[]>();
    for (const r of all) donors.set(r.donor_id, [...(donors.get(r.donor_id) ?? []), r]);
    const primaryCounts = new Set<number>();
    const inconsistent: string[] = [];
    for (const records of donors.values()) {
      const first = records[0]!;
      primaryCounts.add(records.filter((r) => r.parent_sample_id === null).length);
      const differs = (r: SpecimenRecord) =>
        r.sex !== first.sex || r.diagnosis.join() !== first.diagnosis.join() || r.consent.join() !== first.consent.join();
      if (records.some(differs)) inconsistent.push(first.donor_id);
    }
    expect(inconsistent).toEqual([]);
    expect([...primaryCounts].sort()).toEqual([1, 2, 3, 4]);
  });

  test('withdrawal is per donor: a withdrawn donor has only withdrawn specimens', () => {
    const withdrawnDonors = new Set(all.filter((r) => r.status === 'withdrawn').map((r) => r.donor_id));
    expect(withdrawnDonors.size).toBeGreaterThan(100);
    expect(all.filter((r) => withdrawnDonors.has(r.donor_id) !== (r.status === 'withdrawn'))).toEqual([]);
  });

  test('records own their arrays', () => {
    const records = take({ seed: 3, donors: 20, profile: 'population-biobank', idPrefix: 'PB' }, 100);
    const a = records.find((r, i) => records[i + 1]?.donor_id === r.donor_id);
    const b = records[records.indexOf(a!) + 1];
    expect(b?.donor_id).toBe(a?.donor_id);
    a?.consent.push('DUO:0000019');
    expect(b?.consent).not.toContain('DUO:0000019');
  });
});

describe('profiles and collections', () => {
  const materialShares = (profile: ProfileName) => {
    const records = catalogue(profile);
    return Object.fromEntries(MATERIAL_TYPES.map((m) => [m, share(records, (r) => r.material_type === m)]));
  };

  test('material mix differs between profiles', () => {
    const uh = materialShares('university-hospital');
    const cc = materialShares('cardiology-centre');
    const pb = materialShares('population-biobank');
    expect(uh['tissue-ffpe']).toBeGreaterThan(0.05);
    expect(uh['tissue-frozen']).toBeGreaterThan(0.02);
    expect(uh['rna']).toBeGreaterThan(0);
    expect(cc['tissue-ffpe']).toBe(0);
    expect(pb['tissue-ffpe']).toBe(0);
    expect(cc['pbmc']).toBeGreaterThan(0.02);
    expect(cc['buffy-coat']).toBeGreaterThan(0.02);
    expect(uh['pbmc']).toBe(0);
    expect(pb['urine']).toBeGreaterThan(0.05);
    expect(pb['feces']).toBeGreaterThan(0.01);
    expect(pb['saliva']).toBeGreaterThan(0.01);
    expect(uh['urine']).toBe(0);
    for (const shares of [uh, cc, pb]) expect(shares['dna']).toBeGreaterThan(0.03);
  });

  test('each profile only uses its own materials and diagnoses', () => {
    for (const profile of PROFILE_NAMES) {
      const p = PROFILES[profile];
      const materials = new Set<string>([...p.materials.map(([m]) => m), ...p.derivatives.map((d) => d.material)]);
      const categories = new Set<string>([
        ...p.diagnoses.flatMap(([c]) => (c === null ? [] : [c])),
        ...p.comorbidity.categories.map(([c]) => c),
      ]);
      const foreign = catalogue(profile).filter(
        (r) => !materials.has(r.material_type) || r.diagnosis.some((code) => !categories.has(code.slice(0, 3))),
      );
      expect(foreign).toEqual([]);
    }
  });

  test('population biobank donors mostly have no diagnosis; cardiology donors mostly cardiovascular', () => {
    const noDiagnosis = share(catalogue('population-biobank'), (r) => r.diagnosis.length === 0);
    expect(noDiagnosis).toBeGreaterThan(0.45);
    const cardio = share(catalogue('cardiology-centre'), (r) => r.diagnosis[0]?.startsWith('I') ?? false);
    expect(cardio).toBeGreaterThan(0.75);
  });

  test('donors are grouped into the named collections of their site', () => {
    const ids = new Set(catalogue('university-hospital').map((r) => r.collection_id));
    expect(ids).toEqual(new Set(PROFILES['university-hospital'].collections.map((c) => `UH-${c.key}-${c.since}`)));
    const breast = catalogue('university-hospital').filter((r) => r.collection_id === 'UH-BREAST-2012');
    expect(breast.length).toBeGreaterThan(0);
    expect(breast.filter((r) => !r.diagnosis[0]?.startsWith('C50'))).toEqual([]);
  });

  test('the collections option keeps the first named ones and the site-wide one', () => {
    const records = [...generateCatalogue({ seed: 'c', donors: 500, profile: 'university-hospital', idPrefix: 'UH', collections: 3 })];
    expect(new Set(records.map((r) => r.collection_id))).toEqual(new Set(['UH-BREAST-2012', 'UH-COLORECTAL-2009', 'UH-BIOBANK-2005']));
    const single = [...generateCatalogue({ seed: 'c', donors: 100, profile: 'population-biobank', idPrefix: 'PB', collections: 1 })];
    expect(new Set(single.map((r) => r.collection_id))).toEqual(new Set(['PB-COHORT-2005']));
  });
});

describe('options are validated', () => {
  const valid: GenerateOptions = { seed: 1, donors: 10, profile: 'university-hospital', idPrefix: 'UH' };
  test.each([
    ['donors', { donors: -1 }],
    ['donors', { donors: 1.5 }],
    ['profile', { profile: 'dental-clinic' as ProfileName }],
    ['idPrefix', { idPrefix: '' }],
    ['idPrefix', { idPrefix: 'U,H' }],
    ['collections', { collections: 0 }],
    ['seed', { seed: Number.NaN }],
  ])('invalid %s is rejected eagerly with a located issue', (field, patch) => {
    let error: unknown;
    try {
      generateCatalogue({ ...valid, ...patch });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BiospecError);
    expect((error as BiospecError).code).toBe('INVALID_ARGUMENT');
    expect((error as BiospecError).issues.map((i) => i.field)).toEqual([field]);
  });
});
