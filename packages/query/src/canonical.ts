import { DIMENSIONS, type AgeRangeExpr, type DateRangeExpr, type Expr, type InExpr, type Query } from './ast.js';
import { icd10IsUnder, normaliseIcd10 } from './vocab/icd10.js';

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
 * lists normalised and sorted, redundant codes dropped, absent parts omitted.
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
    case 'anatomical_site':
      return { op: expr.op, codes: minimalCodes(expr.codes) };
    case 'consent_permits':
      return { op: 'consent_permits', use: expr.use };
    case 'min_quantity':
      return { op: 'min_quantity', value: expr.value };
  }
}

/** Normalised, deduplicated, sorted codes with every code already covered by another one removed. */
function minimalCodes(codes: readonly string[]): string[] {
  const normalised = sortedUnique(codes.map((code) => normaliseIcd10(code) ?? code));
  return normalised.filter((code) => !normalised.some((other) => other !== code && icd10IsUnder(code, other)));
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
