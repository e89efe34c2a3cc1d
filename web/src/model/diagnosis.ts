/**
 * What a researcher types into the diagnosis picker: an ICD-10 code (`C50`, `c509`), a range of
 * three-character categories (`C00-C97`, en dash too) or a chapter (`II`), and the labels the
 * picker shows for each. The coordinator's query schema is the authority; this only reads the
 * input so the picker can label it and offer matches.
 */
import { ICD10_CHAPTERS, icd10Label, normaliseIcd10, searchIcd10 } from '@biospec/query/browser';

export type DiagnosisEntry =
  | { kind: 'code'; item: string; label: string | undefined }
  | { kind: 'range'; item: string; label: string }
  | { kind: 'chapter'; item: string; label: string }
  | { kind: 'unknown'; item: string };

const RANGE = /^\s*([A-Za-z]\d{2})\s*[-–]\s*([A-Za-z]\d{2})\s*$/;

/** Reads one typed entry. */
export function readDiagnosisEntry(text: string): DiagnosisEntry {
  const trimmed = text.trim();
  const chapter = ICD10_CHAPTERS.find((c) => c.chapter === trimmed.toUpperCase());
  if (chapter) return { kind: 'chapter', item: chapter.chapter, label: chapterLabel(chapter.chapter) };
  const range = RANGE.exec(trimmed);
  if (range) {
    const first = (range[1] as string).toUpperCase();
    const last = (range[2] as string).toUpperCase();
    return { kind: 'range', item: `${first}-${last}`, label: rangeLabel(first, last) };
  }
  const code = normaliseIcd10(trimmed);
  if (code !== null) return { kind: 'code', item: code, label: icd10Label(code) };
  return { kind: 'unknown', item: trimmed };
}

function chapterLabel(numeral: string): string {
  const chapter = ICD10_CHAPTERS.find((c) => c.chapter === numeral);
  return chapter ? `Chapter ${chapter.chapter}: ${chapter.label} (${chapter.first}-${chapter.last})` : `Chapter ${numeral}`;
}

function rangeLabel(first: string, last: string): string {
  const chapter = ICD10_CHAPTERS.find((c) => c.first === first && c.last === last);
  if (chapter) return `every category from ${first} to ${last} (chapter ${chapter.chapter}: ${chapter.label})`;
  const from = icd10Label(first);
  const to = icd10Label(last);
  return `every category from ${first}${from ? ` (${from})` : ''} to ${last}${to ? ` (${to})` : ''}`;
}

/** The label of an item already chosen (as the chips show it). */
export function describeDiagnosisItem(item: string): string {
  const entry = readDiagnosisEntry(item);
  switch (entry.kind) {
    case 'code':
      return entry.label ?? 'ICD-10 code without a title in the shipped list';
    case 'range':
    case 'chapter':
      return entry.label;
    case 'unknown':
      return 'not read as an ICD-10 code, range or chapter; the coordinator will check it';
  }
}

export interface DiagnosisOption {
  item: string;
  label: string;
}

/**
 * Options for typed text, best first: the text itself when it reads as a range or chapter,
 * then chapters whose numeral or title match, then codes by code and title
 * (`searchIcd10`, the same ranking the CLI uses).
 */
export function diagnosisOptions(text: string, limit = 12): DiagnosisOption[] {
  const query = text.trim();
  if (query === '') return [];
  const options: DiagnosisOption[] = [];
  const entry = readDiagnosisEntry(query);
  if (entry.kind === 'range' || entry.kind === 'chapter') options.push({ item: entry.item, label: entry.label });
  const lower = query.toLowerCase();
  for (const chapter of ICD10_CHAPTERS) {
    if (options.some((o) => o.item === chapter.chapter)) continue;
    const words = lower.split(/\s+/);
    if (words.every((w) => chapter.label.toLowerCase().includes(w))) options.push({ item: chapter.chapter, label: chapterLabel(chapter.chapter) });
  }
  for (const hit of searchIcd10(query, limit)) options.push({ item: hit.code, label: hit.label });
  return options.slice(0, limit);
}
