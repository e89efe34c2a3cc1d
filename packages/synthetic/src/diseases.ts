/**
 * How donors with a given ICD-10 category look: who gets the disease, at what
 * age, how specifically it is coded, and which tissue (ICD-O-3 topography) a
 * resection of it yields. Shared by every site profile.
 */

/** A truncated normal distribution of age in years. */
export interface AgeModel {
  mean: number;
  sd: number;
  min: number;
  max: number;
}

/** One ICD-10 category as the generator draws it. */
export interface DiseaseModel {
  /** ICD-10 category, e.g. `C50`. */
  category: string;
  label: string;
  /** More specific codes the category is recorded as (besides the bare category). */
  subcodes: readonly string[];
  /** Share of donors who are female: 1 means female only, 0 male only. */
  female: number;
  age: AgeModel;
  /**
   * ICD-O-3 topography category of tissue taken for this disease, or null when
   * it yields no solid tissue. The subsite digit follows the diagnosis
   * (`C50.4` → `C50.4`, melanoma `C43.5` → skin `C44.5`), `.9` when unknown.
   */
  topography: string | null;
}

const digits = (category: string, suffixes: string): string[] => [...suffixes].map((d) => `${category}.${d}`);

/** Every disease the profiles use, keyed by ICD-10 category. */
export const DISEASES = {
  C18: { category: 'C18', label: 'colon cancer', subcodes: digits('C18', '0123456789'), female: 0.45, age: { mean: 69, sd: 11, min: 30, max: 95 }, topography: 'C18' },
  C19: { category: 'C19', label: 'rectosigmoid cancer', subcodes: [], female: 0.42, age: { mean: 68, sd: 11, min: 30, max: 95 }, topography: 'C19' },
  C20: { category: 'C20', label: 'rectal cancer', subcodes: [], female: 0.4, age: { mean: 67, sd: 11, min: 30, max: 95 }, topography: 'C20' },
  C34: { category: 'C34', label: 'lung cancer', subcodes: digits('C34', '012389'), female: 0.42, age: { mean: 68, sd: 9, min: 35, max: 92 }, topography: 'C34' },
  C43: { category: 'C43', label: 'melanoma of skin', subcodes: digits('C43', '0123456789'), female: 0.5, age: { mean: 60, sd: 16, min: 18, max: 95 }, topography: 'C44' },
  C50: { category: 'C50', label: 'breast cancer', subcodes: digits('C50', '012345689'), female: 0.99, age: { mean: 60, sd: 11, min: 25, max: 95 }, topography: 'C50' },
  C53: { category: 'C53', label: 'cervical cancer', subcodes: digits('C53', '0189'), female: 1, age: { mean: 50, sd: 14, min: 22, max: 90 }, topography: 'C53' },
  C54: { category: 'C54', label: 'endometrial cancer', subcodes: digits('C54', '012389'), female: 1, age: { mean: 65, sd: 10, min: 35, max: 92 }, topography: 'C54' },
  C56: { category: 'C56', label: 'ovarian cancer', subcodes: [], female: 1, age: { mean: 63, sd: 12, min: 25, max: 92 }, topography: 'C56' },
  C61: { category: 'C61', label: 'prostate cancer', subcodes: [], female: 0, age: { mean: 69, sd: 8, min: 45, max: 95 }, topography: 'C61' },
  C62: { category: 'C62', label: 'testicular cancer', subcodes: digits('C62', '019'), female: 0, age: { mean: 34, sd: 10, min: 15, max: 70 }, topography: 'C62' },
  C91: { category: 'C91', label: 'lymphoid leukaemia', subcodes: digits('C91', '0149'), female: 0.42, age: { mean: 50, sd: 25, min: 1, max: 95 }, topography: null },
  C92: { category: 'C92', label: 'myeloid leukaemia', subcodes: digits('C92', '0129'), female: 0.45, age: { mean: 58, sd: 20, min: 1, max: 95 }, topography: null },
  E11: { category: 'E11', label: 'type 2 diabetes', subcodes: digits('E11', '24569'), female: 0.44, age: { mean: 63, sd: 12, min: 25, max: 95 }, topography: null },
  F32: { category: 'F32', label: 'depressive episode', subcodes: digits('F32', '01239'), female: 0.65, age: { mean: 42, sd: 15, min: 16, max: 90 }, topography: null },
  I10: { category: 'I10', label: 'essential hypertension', subcodes: [], female: 0.5, age: { mean: 62, sd: 13, min: 25, max: 95 }, topography: null },
  I21: { category: 'I21', label: 'acute myocardial infarction', subcodes: digits('I21', '012349'), female: 0.3, age: { mean: 66, sd: 12, min: 30, max: 95 }, topography: null },
  I25: { category: 'I25', label: 'chronic ischaemic heart disease', subcodes: digits('I25', '01259'), female: 0.28, age: { mean: 69, sd: 10, min: 35, max: 95 }, topography: null },
  I48: { category: 'I48', label: 'atrial fibrillation and flutter', subcodes: digits('I48', '0129'), female: 0.42, age: { mean: 73, sd: 10, min: 30, max: 98 }, topography: null },
  I50: { category: 'I50', label: 'heart failure', subcodes: digits('I50', '019'), female: 0.47, age: { mean: 75, sd: 11, min: 30, max: 100 }, topography: null },
  J45: { category: 'J45', label: 'asthma', subcodes: digits('J45', '0189'), female: 0.58, age: { mean: 40, sd: 17, min: 5, max: 90 }, topography: null },
  K50: { category: 'K50', label: "Crohn's disease", subcodes: digits('K50', '0189'), female: 0.52, age: { mean: 35, sd: 13, min: 12, max: 85 }, topography: null },
  M81: { category: 'M81', label: 'osteoporosis', subcodes: digits('M81', '589'), female: 0.85, age: { mean: 70, sd: 9, min: 45, max: 95 }, topography: null },
  N18: { category: 'N18', label: 'chronic kidney disease', subcodes: digits('N18', '123459'), female: 0.45, age: { mean: 68, sd: 13, min: 20, max: 95 }, topography: null },
} as const satisfies Record<string, DiseaseModel>;

/** An ICD-10 category the generator knows. */
export type DiseaseCategory = keyof typeof DISEASES;
