import { createHash } from 'node:crypto';
import { DIMENSIONS, type AgeRangeExpr, type DateRangeExpr, type Expr, type InExpr, type Query } from './ast.js';
import { icd10IsUnder, icd10RangeEnds, normaliseIcd10, readIcd10Term } from './vocab/icd10.js';

/**
 * JSON with object keys sorted recursively and no whitespace; properties whose
 * value is `undefined` are omitted (in arrays they become `null`, as in JSON).
 * Equal values always give equal text, so the text can be hashed and signed.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The one form of a query that every equal wording of it shares: connectives
 * flattened, deduplicated and sorted, double negation removed, value and code
 * lists normalised and sorted, redundant codes dropped, diagnosis categories
 * merged into ranges, absent parts omitted.
 * Pure and idempotent: `canonicalise(canonicalise(q))` equals `canonicalise(q)`.
 */
export function canonicalise(query: Query): Query {
  const out: Query = { unit: query.unit };
  if (query.where !== undefined) out.where = canonicaliseExpr(query.where);
  const stratify = DIMENSIONS.filter((d) => query.stratify?.includes(d));
  if (stratify.length > 0) out.stratify = stratify;
  return out;
}

/** The canonical form of one expression (see {@link canonicalise}). */
export function canonicaliseExpr(expr: Expr): Expr {
  switch (expr.op) {
    case 'and':
    case 'or': {
      const op = expr.op;
      const flat = expr.args.map(canonicaliseExpr).flatMap((child) => (child.op === op ? child.args : [child]));
      const args = sortedUniqueBy(flat, canonicalJson);
      if (args.length === 1) return args[0] as Expr;
      return { op, args };
    }
    case 'not': {
      const arg = canonicaliseExpr(expr.arg);
      return arg.op === 'not' ? arg.arg : { op: 'not', arg };
    }
    case 'in':
      return { op: 'in', field: expr.field, values: sortedUnique(expr.values) } as InExpr;
    case 'age_range': {
      const range: AgeRangeExpr = { op: 'age_range' };
      if (expr.min !== undefined) range.min = expr.min;
      if (expr.max !== undefined) range.max = expr.max;
      return range;
    }
    case 'collected_between': {
      const range: DateRangeExpr = { op: 'collected_between' };
      if (expr.from !== undefined) range.from = expr.from;
      if (expr.to !== undefined) range.to = expr.to;
      return range;
    }
    case 'diagnosis':
      return { op: 'diagnosis', codes: minimalDiagnosisTerms(expr.codes) };
    case 'anatomical_site':
      return { op: 'anatomical_site', codes: minimalCodes(expr.codes) };
    case 'consent_permits':
      return { op: 'consent_permits', use: expr.use };
    case 'min_quantity':
      return { op: 'min_quantity', value: expr.value };
  }
}

/** Lowercase hex SHA-256 of the canonical JSON of the canonical query: the query's identity. */
export function queryHash(query: Query): string {
  return createHash('sha256').update(canonicalJson(canonicalise(query)), 'utf8').digest('hex');
}

/** Normalised, deduplicated, sorted codes with every code already covered by another one removed. */
function minimalCodes(codes: readonly string[]): string[] {
  const normalised = sortedUnique(codes.map((code) => normaliseIcd10(code) ?? code));
  return normalised.filter((code) => !normalised.some((other) => other !== code && icd10IsUnder(code, other)));
}

/**
 * The one spelling of a set of ICD-10 diagnoses: the categories the list covers
 * (listed, or inside a range or chapter) merged into maximal runs, a run of one
 * written as its category (`C50`) and a longer run as a range (`C00-C97`); then
 * the finer codes no run or other code covers; all sorted. So a range and its
 * categories spelled out, or a chapter and its range, hash alike, and the
 * canonical list never has more items than the list it came from (every run
 * holds at least one of them), so it stays within the schema's list limit.
 */
function minimalDiagnosisTerms(terms: readonly string[]): string[] {
  const runs: [number, number][] = [];
  const finer: string[] = [];
  for (const raw of terms) {
    const reading = readIcd10Term(raw);
    const term = 'term' in reading ? reading.term : raw;
    const ends = icd10RangeEnds(term);
    if (ends !== null) runs.push([categoryOrdinal(ends[0]), categoryOrdinal(ends[1])]);
    else if (isCategory(term)) runs.push([categoryOrdinal(term), categoryOrdinal(term)]);
    else finer.push(term);
  }
  const merged: [number, number][] = [];
  for (const [first, last] of runs.sort((a, b) => a[0] - b[0])) {
    const previous = merged[merged.length - 1];
    if (previous !== undefined && first <= previous[1] + 1) previous[1] = Math.max(previous[1], last);
    else merged.push([first, last]);
  }
  const covered = (code: string): boolean => {
    if (!isCategory(code.slice(0, 3))) return false;
    const ordinal = categoryOrdinal(code.slice(0, 3));
    return merged.some(([first, last]) => ordinal >= first && ordinal <= last);
  };
  const codes = sortedUnique(finer).filter((code) => !covered(code));
  const kept = codes.filter((code) => !codes.some((other) => other !== code && icd10IsUnder(code, other)));
  const spelled = merged.map(([first, last]) => (first === last ? categoryOf(first) : `${categoryOf(first)}-${categoryOf(last)}`));
  return [...spelled, ...kept].sort(compareText);
}

function isCategory(text: string): boolean {
  return /^[A-Z][0-9]{2}$/.test(text);
}

/** `A00` → 0, `A99` → 99, `B00` → 100: categories in order, adjacent ones one apart. */
function categoryOrdinal(category: string): number {
  return (category.charCodeAt(0) - 65) * 100 + Number(category.slice(1));
}

function categoryOf(ordinal: number): string {
  return `${String.fromCharCode(65 + Math.floor(ordinal / 100))}${String(ordinal % 100).padStart(2, '0')}`;
}

function sortedUnique<T extends string>(values: readonly T[]): T[] {
  return [...new Set(values)].sort(compareText);
}

function sortedUniqueBy<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    if (!byKey.has(key)) byKey.set(key, item);
  }
  return [...byKey.keys()].sort(compareText).map((key) => byKey.get(key) as T);
}

/** Code-unit order, independent of locale, so every machine sorts alike. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
