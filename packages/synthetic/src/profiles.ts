// `@biospec/synthetic/profiles` exports this module alone (it loads nothing at run time): the CLI lists
// the profile names in `biospec generate --help` without loading the generator.
import type { MaterialType } from '@biospec/query';
import type { AgeModel, DiseaseCategory } from './diseases.js';

/** The kinds of site the generator can imitate. */
export const PROFILE_NAMES = ['university-hospital', 'cardiology-centre', 'population-biobank'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** A named collection; donors whose primary diagnosis is in `categories` belong to it. */
export interface CollectionModel {
  /** Middle part of the collection id: `${idPrefix}-${key}-${since}`. */
  key: string;
  /** Year the collection started; its specimens are collected from then on. */
  since: number;
  categories: readonly DiseaseCategory[];
}

/** A derivative (DNA, RNA) extracted from a primary specimen with some probability. */
export interface DerivativeModel {
  from: MaterialType;
  material: MaterialType;
  chance: number;
}

/** Everything that makes one kind of site's catalogue look like itself. */
export interface SiteProfile {
  name: ProfileName;
  label: string;
  /** Primary diagnoses with relative weights; `null` is a donor without diagnosis (a control). */
  diagnoses: readonly (readonly [DiseaseCategory | null, number])[];
  /** Age of donors without diagnosis. */
  controlAge: AgeModel;
  /** Ages the site recruits; every drawn age is kept inside. */
  ageLimits: readonly [number, number];
  /** Probability that a donor with a diagnosis has a second one, and which. */
  comorbidity: { chance: number; categories: readonly (readonly [DiseaseCategory, number])[] };
  /** Materials of primary specimens (collection events) with relative weights. */
  materials: readonly (readonly [MaterialType, number])[];
  /** Inclusive range of aliquots split from a primary specimen of each material. */
  aliquots: Partial<Readonly<Record<MaterialType, readonly [number, number]>>>;
  derivatives: readonly DerivativeModel[];
  /** Collection events per donor (1–4) with relative weights. */
  eventsPerDonor: readonly (readonly [number, number])[];
  /** Named collections, most specific first; the last one takes every other donor. */
  collections: readonly CollectionModel[];
}

const universityHospital: SiteProfile = {
  name: 'university-hospital',
  label: 'University hospital biobank (oncology)',
  diagnoses: [
    [null, 18],
    ['C50', 22],
    ['C18', 8],
    ['C19', 2],
    ['C20', 5],
    ['C34', 12],
    ['C61', 10],
    ['C43', 7],
    ['C91', 5],
    ['C92', 4],
    ['C53', 2],
    ['C54', 2],
    ['C56', 2],
    ['C62', 1],
  ],
  controlAge: { mean: 55, sd: 17, min: 18, max: 90 },
  ageLimits: [0, 100],
  comorbidity: { chance: 0.15, categories: [['I10', 40], ['E11', 25], ['I25', 10], ['N18', 10], ['F32', 15]] },
  materials: [
    ['tissue-ffpe', 22],
    ['tissue-frozen', 12],
    ['serum', 18],
    ['plasma', 18],
    ['whole-blood', 20],
  ],
  aliquots: { serum: [2, 6], plasma: [2, 6] },
  derivatives: [
    { from: 'whole-blood', material: 'dna', chance: 0.45 },
    { from: 'whole-blood', material: 'rna', chance: 0.12 },
    { from: 'tissue-frozen', material: 'dna', chance: 0.35 },
    { from: 'tissue-frozen', material: 'rna', chance: 0.35 },
  ],
  eventsPerDonor: [[1, 50], [2, 28], [3, 14], [4, 8]],
  collections: [
    { key: 'BREAST', since: 2012, categories: ['C50'] },
    { key: 'COLORECTAL', since: 2009, categories: ['C18', 'C19', 'C20'] },
    { key: 'LUNG', since: 2014, categories: ['C34'] },
    { key: 'URO-ONCOLOGY', since: 2010, categories: ['C61', 'C62'] },
    { key: 'MELANOMA', since: 2016, categories: ['C43'] },
    { key: 'LEUKAEMIA', since: 2008, categories: ['C91', 'C92'] },
    { key: 'GYN-ONCOLOGY', since: 2013, categories: ['C53', 'C54', 'C56'] },
    { key: 'BIOBANK', since: 2005, categories: [] },
  ],
};

const cardiologyCentre: SiteProfile = {
  name: 'cardiology-centre',
  label: 'Cardiology centre biobank',
  diagnoses: [
    [null, 5],
    ['I10', 20],
    ['I21', 15],
    ['I25', 20],
    ['I48', 18],
    ['I50', 14],
    ['E11', 5],
    ['N18', 3],
  ],
  controlAge: { mean: 55, sd: 14, min: 18, max: 90 },
  ageLimits: [18, 100],
  comorbidity: { chance: 0.35, categories: [['I10', 30], ['E11', 25], ['N18', 15], ['I48', 12], ['I25', 10], ['I50', 8]] },
  materials: [
    ['serum', 25],
    ['plasma', 25],
    ['whole-blood', 25],
    ['buffy-coat', 13],
    ['pbmc', 12],
  ],
  aliquots: { serum: [2, 5], plasma: [2, 5], pbmc: [0, 3], 'buffy-coat': [0, 1] },
  derivatives: [
    { from: 'whole-blood', material: 'dna', chance: 0.5 },
    { from: 'buffy-coat', material: 'dna', chance: 0.5 },
  ],
  eventsPerDonor: [[1, 40], [2, 30], [3, 18], [4, 12]],
  collections: [
    { key: 'MI-REGISTRY', since: 2007, categories: ['I21'] },
    { key: 'CAD', since: 2009, categories: ['I25'] },
    { key: 'AF', since: 2013, categories: ['I48'] },
    { key: 'HEART-FAILURE', since: 2011, categories: ['I50'] },
    { key: 'CARDIO', since: 2005, categories: [] },
  ],
};

const populationBiobank: SiteProfile = {
  name: 'population-biobank',
  label: 'Population-based cohort biobank',
  diagnoses: [
    [null, 60],
    ['I10', 14],
    ['E11', 7],
    ['J45', 7],
    ['M81', 4],
    ['F32', 6],
    ['K50', 2],
  ],
  controlAge: { mean: 52, sd: 16, min: 18, max: 90 },
  ageLimits: [18, 90],
  comorbidity: { chance: 0.15, categories: [['I10', 30], ['E11', 20], ['J45', 15], ['M81', 10], ['F32', 20], ['K50', 5]] },
  materials: [
    ['serum', 20],
    ['plasma', 20],
    ['whole-blood', 20],
    ['urine', 18],
    ['saliva', 10],
    ['feces', 8],
  ],
  aliquots: { serum: [3, 8], plasma: [3, 8], urine: [1, 4], saliva: [0, 2], feces: [0, 2] },
  derivatives: [
    { from: 'whole-blood', material: 'dna', chance: 0.6 },
    { from: 'saliva', material: 'dna', chance: 0.3 },
  ],
  eventsPerDonor: [[1, 45], [2, 35], [3, 15], [4, 5]],
  collections: [
    { key: 'DIABETES', since: 2011, categories: ['E11'] },
    { key: 'ASTHMA', since: 2014, categories: ['J45'] },
    { key: 'IBD', since: 2016, categories: ['K50'] },
    { key: 'COHORT', since: 2005, categories: [] },
  ],
};

/** The site profiles by name. */
export const PROFILES: Readonly<Record<ProfileName, SiteProfile>> = {
  'university-hospital': universityHospital,
  'cardiology-centre': cardiologyCentre,
  'population-biobank': populationBiobank,
};

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}
