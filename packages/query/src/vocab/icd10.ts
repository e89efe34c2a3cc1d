/**
 * ICD-10 (WHO 2019 edition) chapters. Codes are written with a dot after the
 * category (`C50.9`); a code's descendants are the codes it is a prefix of.
 */
export interface Icd10Chapter {
  chapter: string;
  first: string;
  last: string;
  label: string;
}

export const ICD10_CHAPTERS: readonly Icd10Chapter[] = [
  { chapter: 'I', first: 'A00', last: 'B99', label: 'Certain infectious and parasitic diseases' },
  { chapter: 'II', first: 'C00', last: 'D48', label: 'Neoplasms' },
  { chapter: 'III', first: 'D50', last: 'D89', label: 'Diseases of the blood and blood-forming organs and certain disorders involving the immune mechanism' },
  { chapter: 'IV', first: 'E00', last: 'E90', label: 'Endocrine, nutritional and metabolic diseases' },
  { chapter: 'V', first: 'F00', last: 'F99', label: 'Mental and behavioural disorders' },
  { chapter: 'VI', first: 'G00', last: 'G99', label: 'Diseases of the nervous system' },
  { chapter: 'VII', first: 'H00', last: 'H59', label: 'Diseases of the eye and adnexa' },
  { chapter: 'VIII', first: 'H60', last: 'H95', label: 'Diseases of the ear and mastoid process' },
  { chapter: 'IX', first: 'I00', last: 'I99', label: 'Diseases of the circulatory system' },
  { chapter: 'X', first: 'J00', last: 'J99', label: 'Diseases of the respiratory system' },
  { chapter: 'XI', first: 'K00', last: 'K93', label: 'Diseases of the digestive system' },
  { chapter: 'XII', first: 'L00', last: 'L99', label: 'Diseases of the skin and subcutaneous tissue' },
  { chapter: 'XIII', first: 'M00', last: 'M99', label: 'Diseases of the musculoskeletal system and connective tissue' },
  { chapter: 'XIV', first: 'N00', last: 'N99', label: 'Diseases of the genitourinary system' },
  { chapter: 'XV', first: 'O00', last: 'O99', label: 'Pregnancy, childbirth and the puerperium' },
  { chapter: 'XVI', first: 'P00', last: 'P96', label: 'Certain conditions originating in the perinatal period' },
  { chapter: 'XVII', first: 'Q00', last: 'Q99', label: 'Congenital malformations, deformations and chromosomal abnormalities' },
  { chapter: 'XVIII', first: 'R00', last: 'R99', label: 'Symptoms, signs and abnormal clinical and laboratory findings, not elsewhere classified' },
  { chapter: 'XIX', first: 'S00', last: 'T98', label: 'Injury, poisoning and certain other consequences of external causes' },
  { chapter: 'XX', first: 'V01', last: 'Y98', label: 'External causes of morbidity and mortality' },
  { chapter: 'XXI', first: 'Z00', last: 'Z99', label: 'Factors influencing health status and contact with health services' },
  { chapter: 'XXII', first: 'U00', last: 'U99', label: 'Codes for special purposes' },
];

/** `C50`, `C50.9`, `C50.91`: a letter, two digits, optionally a dot and one to four characters. */
const ICD10_CODE = /^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$/;

/** Uppercases and inserts the dot (`c509` → `C50.9`); returns null when it cannot be an ICD-10 code. */
export function normaliseIcd10(raw: string): string | null {
  const compact = raw.trim().toUpperCase().replace('.', '');
  if (!/^[A-Z][0-9]{2}[0-9A-Z]{0,4}$/.test(compact)) return null;
  const code = compact.length > 3 ? `${compact.slice(0, 3)}.${compact.slice(3)}` : compact;
  return ICD10_CODE.test(code) ? code : null;
}

export function isIcd10Code(code: string): boolean {
  return ICD10_CODE.test(code);
}

/** Roman numeral of the chapter a code belongs to, or null for a code outside every chapter. */
export function icd10Chapter(code: string): string | null {
  const category = code.slice(0, 3);
  for (const c of ICD10_CHAPTERS) if (category >= c.first && category <= c.last) return c.chapter;
  return null;
}

/** True when `code` is `ancestor` or one of its descendants (`C50.9` under `C50`). */
export function icd10IsUnder(code: string, ancestor: string): boolean {
  if (code === ancestor) return true;
  if (!code.startsWith(ancestor)) return false;
  // `C50` is a prefix of `C50.9` but a category is never a prefix of a different category.
  return ancestor.length === 3 ? code[3] === '.' : true;
}
