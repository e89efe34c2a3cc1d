import { BiospecError, type Issue } from '@biospec/protocol';
import type { MaterialType, Sex, SpecimenRecord, SpecimenStatus, StorageTemperature } from '@biospec/query';
import { drawConsent } from './consent.js';
import { firstDayOf, isoDay, LAST_DAY } from './dates.js';
import { DISEASES, type AgeModel, type DiseaseModel } from './diseases.js';
import { isTissue, MATERIAL_HANDLING } from './materials.js';
import { isProfileName, PROFILE_NAMES, PROFILES, type DerivativeModel, type ProfileName, type SiteProfile } from './profiles.js';
import { createRandom, weightedTable, type Random, type WeightedTable } from './random.js';

/** What to generate; equal options always yield the identical sequence of records. */
export interface GenerateOptions {
  seed: number | string;
  /** Number of donors; each yields one to four primary specimens and their aliquots and derivatives. */
  donors: number;
  profile: ProfileName;
  /** Prefix of every id, so ids are unique per site: `UH` gives `UH-D0000001`, `UH-S00000001`. */
  idPrefix: string;
  /**
   * How many of the profile's named collections to use (default: all). The
   * site-wide collection is always kept and takes the donors of dropped ones.
   */
  collections?: number;
}

const WITHDRAWN_DONOR = 0.03;
/** Reserved and depleted shares among specimens of donors who did not withdraw (5% and 6% overall). */
const RESERVED = 0.05 / (1 - WITHDRAWN_DONOR);
const DEPLETED = 0.06 / (1 - WITHDRAWN_DONOR);
const UNKNOWN_AGE = 0.02;
const UNKNOWN_DATE = 0.005;
const YEAR_ONLY_DATE = 0.025;
const YEAR_MONTH_DATE = 0.025;
/** Share of diagnoses recorded as the bare category (`C50`) rather than a subcode. */
const CATEGORY_ONLY = 0.3;
const CONTROL_FEMALE = 0.51;
const SEX_OTHER = 0.001;
const SEX_UNKNOWN = 0.003;
const DAYS_PER_YEAR = 365.25;
/** Days between two collection events of one donor (follow-up visits). */
const FOLLOW_UP_DAYS: readonly [number, number] = [60, 1100];

/** A profile turned into draw tables, with the collections the options keep. */
interface Plan {
  prefix: string;
  donors: number;
  diagnoses: WeightedTable<DiseaseModel | null>;
  comorbidities: WeightedTable<DiseaseModel>;
  comorbidityChance: number;
  controlAge: AgeModel;
  ageLimits: readonly [number, number];
  materials: WeightedTable<MaterialType>;
  /** Materials for donors without a tissue-yielding diagnosis. */
  fluids: WeightedTable<MaterialType>;
  aliquots: SiteProfile['aliquots'];
  derivatives: ReadonlyMap<MaterialType, readonly DerivativeModel[]>;
  events: WeightedTable<number>;
  collectionOf: (category: string | null) => CollectionSlot;
}

interface CollectionSlot {
  id: string;
  firstDay: number;
}

interface Donor {
  id: string;
  collectionId: string;
  sex: Sex;
  diagnosis: string[];
  consent: string[];
  withdrawn: boolean;
  /** ICD-O-3 topography of this donor's tissue, null when the diagnosis yields none. */
  topography: string | null;
}

/**
 * Streams a synthetic catalogue for one site: donors one after another, each
 * primary specimen followed by its aliquots and derivatives (so a parent always
 * precedes its children). Deterministic: equal options give equal records.
 */
export function generateCatalogue(options: GenerateOptions): Generator<SpecimenRecord> {
  const plan = createPlan(options);
  const rng = createRandom(`${options.seed}|${options.profile}|${options.idPrefix}`);
  return emit(plan, rng);
}

function* emit(plan: Plan, rng: Random): Generator<SpecimenRecord> {
  let sampleNumber = 0;
  const samplePrefix = `${plan.prefix}-S`;
  const nextSampleId = (): string => zeroPadded(samplePrefix, ++sampleNumber, 8);

  for (let d = 1; d <= plan.donors; d++) {
    const { donor, disease, collection } = drawDonor(plan, rng, d);
    const days = drawEventDays(plan, rng, collection.firstDay);
    const ages = drawAges(plan, rng, disease, days);

    for (let e = 0; e < days.length; e++) {
      const collectedOn = formatCollectionDate(rng, days[e] as number);
      const age = ages === null ? null : (ages[e] as number);
      const material = rng.weighted(donor.topography === null ? plan.fluids : plan.materials);
      const primaryId = nextSampleId();
      const storage = rng.weighted(MATERIAL_HANDLING[material].storage);
      const site = isTissue(material) ? donor.topography : null;
      yield specimen(donor, primaryId, material, collectedOn, site, age, storage, rng, null, false);

      const aliquotRange = plan.aliquots[material];
      const aliquots = aliquotRange === undefined ? 0 : rng.int(aliquotRange[0], aliquotRange[1]);
      for (let a = 0; a < aliquots; a++) {
        yield specimen(donor, nextSampleId(), material, collectedOn, null, age, storage, rng, primaryId, true);
      }

      for (const derivative of plan.derivatives.get(material) ?? []) {
        if (!rng.chance(derivative.chance)) continue;
        const derivedStorage = rng.weighted(MATERIAL_HANDLING[derivative.material].storage);
        yield specimen(donor, nextSampleId(), derivative.material, collectedOn, site, age, derivedStorage, rng, primaryId, false);
      }
    }
  }
}

const ZEROS = '0'.repeat(16);

/** `prefix` + `n` left-padded with zeros to `width` digits (cheaper than padStart on this hot path). */
function zeroPadded(prefix: string, n: number, width: number): string {
  const digits = `${n}`;
  return digits.length >= width ? prefix + digits : prefix + ZEROS.slice(0, width - digits.length) + digits;
}

function specimen(
  donor: Donor,
  sampleId: string,
  material: MaterialType,
  collectedOn: string | null,
  anatomicalSite: string | null,
  age: number | null,
  storage: StorageTemperature,
  rng: Random,
  parentId: string | null,
  isAliquot: boolean,
): SpecimenRecord {
  const status = drawStatus(rng, donor.withdrawn);
  const [low, high] = MATERIAL_HANDLING[material].quantity;
  const quantity = status === 'depleted' ? 0 : isAliquot ? 1 : rng.int(low, high);
  return {
    sample_id: sampleId,
    donor_id: donor.id,
    collection_id: donor.collectionId,
    material_type: material,
    collected_on: collectedOn,
    // Each record owns its arrays, so a consumer editing one record cannot change another.
    diagnosis: donor.diagnosis.slice(),
    anatomical_site: anatomicalSite,
    sex: donor.sex,
    age_at_collection: age,
    storage_temperature: storage,
    consent: donor.consent.slice(),
    status,
    quantity,
    parent_sample_id: parentId,
  };
}

function drawDonor(plan: Plan, rng: Random, n: number): { donor: Donor; disease: DiseaseModel | null; collection: CollectionSlot } {
  const disease = rng.weighted(plan.diagnoses);
  const sex = drawSex(rng, disease === null ? CONTROL_FEMALE : disease.female);
  const diagnosis: string[] = [];
  let topography: string | null = null;
  if (disease !== null) {
    const code = drawCode(rng, disease);
    diagnosis.push(code);
    if (disease.topography !== null) topography = topographyOf(rng, disease, code);
    if (rng.chance(plan.comorbidityChance)) {
      const second = rng.weighted(plan.comorbidities);
      if (second.category !== disease.category) diagnosis.push(drawCode(rng, second));
    }
  }
  const collection = plan.collectionOf(disease === null ? null : disease.category);
  const donor: Donor = {
    id: zeroPadded(`${plan.prefix}-D`, n, 7),
    collectionId: collection.id,
    sex,
    diagnosis,
    consent: drawConsent(rng),
    withdrawn: rng.chance(WITHDRAWN_DONOR),
    topography,
  };
  return { donor, disease, collection };
}

/** Sex follows the disease: strictly for sex-specific ones, as a share otherwise. */
function drawSex(rng: Random, female: number): Sex {
  if (female >= 1) return 'female';
  if (female <= 0) return 'male';
  const u = rng.next();
  if (u < SEX_OTHER) return 'other';
  if (u < SEX_OTHER + SEX_UNKNOWN) return 'unknown';
  return rng.chance(female) ? 'female' : 'male';
}

function drawCode(rng: Random, disease: DiseaseModel): string {
  if (disease.subcodes.length === 0 || rng.chance(CATEGORY_ONLY)) return disease.category;
  return rng.pick(disease.subcodes);
}

/** The tissue's subsite follows a specific diagnosis; `.9` (unspecified) is never worse than a guess. */
function topographyOf(rng: Random, disease: DiseaseModel, code: string): string {
  const topography = disease.topography as string;
  if (code.length > 3) return topography + code.slice(3);
  if (disease.subcodes.length === 0) return `${topography}.9`;
  return topography + rng.pick(disease.subcodes).slice(3);
}

/** Day numbers of a donor's collection events: a first visit, then follow-ups while the period lasts. */
function drawEventDays(plan: Plan, rng: Random, firstDay: number): number[] {
  const wanted = rng.weighted(plan.events);
  const days = [rng.int(firstDay, LAST_DAY)];
  for (let day = days[0] as number; days.length < wanted; ) {
    day += rng.int(FOLLOW_UP_DAYS[0], FOLLOW_UP_DAYS[1]);
    if (day > LAST_DAY) break;
    days.push(day);
  }
  return days;
}

/** Age at each event, or null for a donor whose age is unknown; every age stays inside the site's limits. */
function drawAges(plan: Plan, rng: Random, disease: DiseaseModel | null, days: readonly number[]): number[] | null {
  if (rng.chance(UNKNOWN_AGE)) return null;
  const first = days[0] as number;
  const span = Math.floor(((days[days.length - 1] as number) - first) / DAYS_PER_YEAR);
  const model = disease === null ? plan.controlAge : disease.age;
  const min = Math.max(model.min, plan.ageLimits[0]);
  const max = Math.max(min, Math.min(model.max, plan.ageLimits[1]) - span);
  const base = truncatedNormal(rng, model.mean, model.sd, min, max);
  return days.map((day) => base + Math.floor((day - first) / DAYS_PER_YEAR));
}

function truncatedNormal(rng: Random, mean: number, sd: number, min: number, max: number): number {
  for (let attempt = 0; attempt < 8; attempt++) {
    const value = Math.round(rng.normal(mean, sd));
    if (value >= min && value <= max) return value;
  }
  return rng.int(min, max);
}

/** Full ISO date mostly; some records only know the year or month, a few nothing. */
function formatCollectionDate(rng: Random, day: number): string | null {
  const u = rng.next();
  if (u < UNKNOWN_DATE) return null;
  const iso = isoDay(day);
  if (u < UNKNOWN_DATE + YEAR_ONLY_DATE) return iso.slice(0, 4);
  if (u < UNKNOWN_DATE + YEAR_ONLY_DATE + YEAR_MONTH_DATE) return iso.slice(0, 7);
  return iso;
}

function drawStatus(rng: Random, withdrawn: boolean): SpecimenStatus {
  if (withdrawn) return 'withdrawn';
  const u = rng.next();
  if (u < RESERVED) return 'reserved';
  if (u < RESERVED + DEPLETED) return 'depleted';
  return 'available';
}

function createPlan(options: GenerateOptions): Plan {
  const issues = validate(options);
  if (issues.length > 0) throw new BiospecError('INVALID_ARGUMENT', 'invalid synthetic catalogue options', { issues });
  const profile = PROFILES[options.profile];
  const materials = weightedTable(profile.materials);
  const fluidEntries = profile.materials.filter(([material]) => !isTissue(material));
  const derivatives = new Map<MaterialType, DerivativeModel[]>();
  for (const derivative of profile.derivatives) {
    derivatives.set(derivative.from, [...(derivatives.get(derivative.from) ?? []), derivative]);
  }
  return {
    prefix: options.idPrefix,
    donors: options.donors,
    diagnoses: weightedTable(profile.diagnoses.map(([category, weight]) => [category === null ? null : DISEASES[category], weight])),
    comorbidities: weightedTable(profile.comorbidity.categories.map(([category, weight]) => [DISEASES[category], weight])),
    comorbidityChance: profile.comorbidity.chance,
    controlAge: profile.controlAge,
    ageLimits: profile.ageLimits,
    materials,
    fluids: fluidEntries.length === profile.materials.length ? materials : weightedTable(fluidEntries),
    aliquots: profile.aliquots,
    derivatives,
    events: weightedTable(profile.eventsPerDonor),
    collectionOf: createCollectionIndex(profile, options.idPrefix, options.collections),
  };
}

/** Maps a primary diagnosis to its collection, keeping the first `count - 1` named ones plus the site-wide one. */
function createCollectionIndex(profile: SiteProfile, prefix: string, count: number | undefined): (category: string | null) => CollectionSlot {
  const slot = (c: { key: string; since: number }): CollectionSlot => ({ id: `${prefix}-${c.key}-${c.since}`, firstDay: firstDayOf(c.since) });
  const named = profile.collections.slice(0, -1);
  const general = slot(profile.collections[profile.collections.length - 1] as SiteProfile['collections'][number]);
  const kept = named.slice(0, Math.max(0, (count ?? profile.collections.length) - 1));
  const byCategory = new Map<string, CollectionSlot>();
  for (const collection of kept) {
    const s = slot(collection);
    for (const category of collection.categories) byCategory.set(category, s);
  }
  return (category) => (category === null ? general : (byCategory.get(category) ?? general));
}

function validate(options: GenerateOptions): Issue[] {
  const issues: Issue[] = [];
  const { seed, donors, profile, idPrefix, collections } = options;
  if (typeof seed !== 'string' && !(typeof seed === 'number' && Number.isFinite(seed))) {
    issues.push({ field: 'seed', message: 'must be a finite number or a string' });
  }
  if (!Number.isSafeInteger(donors) || donors < 0) issues.push({ field: 'donors', message: 'must be a non-negative integer' });
  if (typeof profile !== 'string' || !isProfileName(profile)) {
    issues.push({ field: 'profile', message: `must be one of ${PROFILE_NAMES.join(', ')}` });
  }
  if (typeof idPrefix !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(idPrefix)) {
    issues.push({ field: 'idPrefix', message: 'must be 1–32 letters, digits, _ or -, starting with a letter or digit' });
  }
  if (collections !== undefined && (!Number.isSafeInteger(collections) || collections < 1)) {
    issues.push({ field: 'collections', message: 'must be a positive integer' });
  }
  return issues;
}
