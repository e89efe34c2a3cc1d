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

/** `C00-C97`: a range of three-character categories, both ends included (the normalised form of blocks and chapters). */
const ICD10_RANGE = /^([A-Z][0-9]{2})-([A-Z][0-9]{2})$/;
const ICD10_CATEGORY = /^[A-Z][0-9]{2}$/;

/** A normalised diagnosis term (`C50.9`, `C00-D48`), or why the raw text is not one. */
export type Icd10TermReading = { term: string } | { problem: string };

/**
 * Reads what a researcher may write for a diagnosis: a code (`C50`, `c509`), a
 * range of three-character categories (`C00-C97`, `c00–d48` with an en dash)
 * or a chapter's Roman numeral (`II`, read as its range `C00-D48`). Codes are
 * normalised as {@link normaliseIcd10} does, ranges to `FIRST-LAST` in capitals.
 */
export function readIcd10Term(raw: string): Icd10TermReading {
  const text = raw.trim().toUpperCase();
  const chapter = ICD10_CHAPTERS.find((c) => c.chapter === text);
  if (chapter !== undefined) return { term: `${chapter.first}-${chapter.last}` };
  const ends = text.split(/\s*[-\u2013]\s*/);
  if (ends.length === 2) {
    const [first, last] = ends.map((end) => normaliseIcd10(end));
    if (first == null || last == null || !ICD10_CATEGORY.test(first) || !ICD10_CATEGORY.test(last)) {
      return { problem: 'a range joins two three-character categories, like C00-C97' };
    }
    if (first > last) return { problem: `the range starts after it ends (${first} comes after ${last})` };
    return { term: first === last ? first : `${first}-${last}` };
  }
  const code = normaliseIcd10(text);
  return code === null ? { problem: 'expected a code like C50 or C50.9, a range like C00-C97 or a chapter like II' } : { term: code };
}

/** The two ends of a normalised range term (`C00-D48` → [`C00`, `D48`]), or null for a code. */
export function icd10RangeEnds(term: string): [string, string] | null {
  const match = ICD10_RANGE.exec(term);
  return match === null ? null : [match[1] as string, match[2] as string];
}

/**
 * True when `code` is `ancestor` or one of its descendants (`C50.9` under `C50`),
 * or when `ancestor` is a range (`C00-D48`) holding the code's category.
 * The count paths match diagnoses with this function alone, so ranges need nothing of them.
 */
export function icd10IsUnder(code: string, ancestor: string): boolean {
  if (code === ancestor) return true;
  // A range is 7 characters with its dash at index 3; checked before the regex, since this runs per stored code.
  if (ancestor.length === 7 && ancestor.charCodeAt(3) === 45) {
    const ends = icd10RangeEnds(ancestor);
    if (ends !== null) {
      const category = code.slice(0, 3);
      return ICD10_CATEGORY.test(category) && category >= ends[0] && category <= ends[1];
    }
  }
  if (!code.startsWith(ancestor)) return false;
  // `C50` is a prefix of `C50.9` but a category is never a prefix of a different category.
  return ancestor.length === 3 ? code[3] === '.' : true;
}
