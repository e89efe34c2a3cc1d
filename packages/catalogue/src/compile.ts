/**
 * Compiles a validated feasibility query into one parameterised SQL statement
 * over the catalogue schema. Values only ever travel as bound parameters;
 * column names come from fixed tables here, never from the query. Categorical
 * values and codes are translated to the catalogue's integer codes on the way.
 */
import { BiospecError } from '@biospec/protocol/core';
import { icd10IsUnder, isUseCategory, useBit, type ContributionCaps, type CountQuestion, type Expr, type StrataDimension, type Unit } from '@biospec/query/model';
import { dayNumber } from '@biospec/count-index';
import { WITHDRAWN_CODE, type CodeKind } from './codebook.js';

export type SqlValue = string | number;

/** What the compiler needs to know of a catalogue's codes (see codebook.ts). */
export interface CodeLookup {
  codeOf(kind: CodeKind, name: string): number | undefined;
  entries(kind: CodeKind): ReadonlyMap<string, number>;
}

/** A compiled count: run `sql` with `params`; rows are {@link CountRow}s. */
export interface CompiledCount {
  sql: string;
  params: SqlValue[];
  /** Stratify dimensions in query order; row column `d<i>` holds the code of dimension i. */
  dimensions: StrataDimension[];
  /**
   * True when the statement returns a separate total row (`total_row = 1`).
   * Aliquot strata partition the matches, so their total is the sum of the strata.
   */
  totalRow: boolean;
}

/** A result row of a compiled count. */
export interface CountRow {
  total_row: number;
  n: number;
  [dimension: `d${number}`]: number | null;
}

const FIELD_COLUMNS = {
  material_type: { column: 's.material_type', kind: 'material_type' },
  sex: { column: 's.sex', kind: 'sex' },
  storage_temperature: { column: 's.storage_temperature', kind: 'storage_temperature' },
  status: { column: 's.status', kind: 'status' },
  collection_id: { column: 's.collection', kind: 'collection' },
} as const satisfies Record<string, { column: string; kind: CodeKind }>;

/** Stratify dimensions: the coded column and the code kind naming its values (collection_id: availability questions only). */
export const DIMENSION_COLUMNS: Record<StrataDimension, { column: string; kind: CodeKind }> = {
  collection_id: { column: 's.collection', kind: 'collection' },
  material_type: { column: 's.material_type', kind: 'material_type' },
  sex: { column: 's.sex', kind: 'sex' },
  storage_temperature: { column: 's.storage_temperature', kind: 'storage_temperature' },
  age_band: { column: 's.age_band', kind: 'age_band' },
  diagnosis_chapter: { column: 's.diagnosis_chapter', kind: 'diagnosis_chapter' },
};

/**
 * The columns naming one counted unit: a specimen is its root within its
 * donor (root-resolution.ts), so the pair, never the root id alone.
 */
const UNIT_KEYS: Record<Unit, readonly string[] | null> = {
  aliquots: null,
  specimens: ['s.donor_id', 'coalesce(s.root_id, s.sample_id)'],
  donors: ['s.donor_id'],
};

/** Spelled exactly like the partial count indexes' WHERE clause, so the planner can use them. */
const NOT_WITHDRAWN = `s.status <> ${WITHDRAWN_CODE}`;

/**
 * Compiles `query` (already validated) into one statement counting its unit,
 * per stratum when asked; with `caps`, each donor's contribution bounded as
 * {@link ContributionCaps} says.
 */
export function compileCount(query: CountQuestion, codes: CodeLookup, caps?: ContributionCaps): CompiledCount {
  const params: SqlValue[] = [];
  const condition =
    query.where === undefined ? NOT_WITHDRAWN : `${NOT_WITHDRAWN} AND ${compileExpr(query.where, codes, params)}`;
  const dimensions = [...new Set(query.stratify ?? [])];
  const unitKeys = UNIT_KEYS[query.unit];
  if (unitKeys === undefined) throw new BiospecError('INVALID_QUERY', `unknown unit '${String(query.unit)}'`);
  if (caps !== undefined) return compileCapped(query.unit, condition, params, dimensions, caps);
  const columns = dimensions.map((d, i) => `${dimensionColumn(d)} AS d${i}`);
  const groups = dimensions.map((_, i) => `d${i}`).join(', ');
  const nulls = dimensions.map((_, i) => `NULL AS d${i}`);

  if (unitKeys === null) {
    if (dimensions.length === 0) {
      return { sql: `SELECT 1 AS total_row, COUNT(*) AS n FROM specimen s WHERE ${condition}`, params, dimensions, totalRow: true };
    }
    const sql = `SELECT 0 AS total_row, ${columns.join(', ')}, COUNT(*) AS n FROM specimen s WHERE ${condition} GROUP BY ${groups}`;
    return { sql, params, dimensions, totalRow: false };
  }
  const units = unitKeys.map((key, i) => `${key} AS u${i}`);
  const unitNames = unitKeys.map((_, i) => `u${i}`).join(', ');
  if (dimensions.length === 0) {
    const sql = `SELECT 1 AS total_row, COUNT(*) AS n FROM (SELECT DISTINCT ${units.join(', ')} FROM specimen s WHERE ${condition})`;
    return { sql, params, dimensions, totalRow: true };
  }
  // Distinct units can fall in several strata, so the total is its own aggregate over the same matches.
  const sql =
    `WITH m AS MATERIALIZED (SELECT ${[...units, ...columns].join(', ')} FROM specimen s WHERE ${condition}) ` +
    `SELECT 1 AS total_row, ${nulls.join(', ')}, COUNT(*) AS n FROM (SELECT DISTINCT ${unitNames} FROM m) ` +
    `UNION ALL SELECT 0, ${groups}, COUNT(*) FROM (SELECT DISTINCT ${unitNames}, ${groups} FROM m) GROUP BY ${groups}`;
  return { sql, params, dimensions, totalRow: true };
}

/**
 * With per-donor caps (a fallback while the count index is not ready, so
 * window functions are fine): each donor's matching rows are numbered in
 * (root, sample id) order; its total is min(cap, its distinct units); each of
 * its (unit, cell) pairs is placed at its first row, and only its first
 * `cellCap` pairs count. Text compares as SQLite's BINARY collation does
 * (UTF-8 bytes), which orders ids like the reference's code units except
 * where characters above U+FFFF meet U+E000–U+FFFF.
 */
function compileCapped(unit: Unit, condition: string, params: SqlValue[], dimensions: StrataDimension[], caps: ContributionCaps): CompiledCount {
  const totalCap = unit === 'donors' ? 1 : caps[unit];
  const cellCap = unit === 'donors' ? caps.donorCells : caps[unit];
  const unitColumn = unit === 'aliquots' ? 's.id' : unit === 'specimens' ? 'coalesce(s.root_id, s.sample_id)' : '0';
  const columns = dimensions.map((d, i) => `${dimensionColumn(d)} AS d${i}`);
  const groups = dimensions.map((_, i) => `d${i}`).join(', ');
  const nulls = dimensions.map((_, i) => `NULL AS d${i}`);
  const order = 'ROW_NUMBER() OVER (PARTITION BY s.donor_id ORDER BY coalesce(s.root_id, s.sample_id), s.sample_id) AS o';
  const matches = `m AS MATERIALIZED (SELECT s.donor_id AS dn, ${unitColumn} AS u, ${[...columns, order].join(', ')} FROM specimen s WHERE ${condition})`;
  const total = `SELECT 1 AS total_row, ${[...nulls, `coalesce(SUM(min(k, ${Math.floor(totalCap)})), 0) AS n`].join(', ')} FROM (SELECT COUNT(DISTINCT u) AS k FROM m GROUP BY dn)`;
  if (dimensions.length === 0) return { sql: `WITH ${matches} ${total}`, params, dimensions, totalRow: true };
  const pairs = `SELECT dn, ${groups}, MIN(o) AS f FROM m GROUP BY dn, u, ${groups}`;
  const ranked = `SELECT ${groups}, ROW_NUMBER() OVER (PARTITION BY dn ORDER BY f) AS k FROM (${pairs})`;
  const sql = `WITH ${matches} ${total} UNION ALL SELECT 0, ${groups}, COUNT(*) FROM (${ranked}) WHERE k <= ${Math.floor(cellCap)} GROUP BY ${groups}`;
  return { sql, params, dimensions, totalRow: true };
}

function dimensionColumn(dimension: StrataDimension): string {
  const entry = DIMENSION_COLUMNS[dimension];
  if (entry === undefined) throw new BiospecError('INVALID_QUERY', `unknown stratify dimension '${String(dimension)}'`);
  return entry.column;
}

/**
 * SQL for one expression, appending its values to `params`. Every fragment is
 * two-valued (never NULL), so NOT of a predicate matches exactly the rows the
 * predicate does not, unknown values included.
 */
export function compileExpr(expr: Expr, codes: CodeLookup, params: SqlValue[]): string {
  switch (expr.op) {
    case 'and':
      return expr.args.length === 0 ? '1' : `(${expr.args.map((arg) => compileExpr(arg, codes, params)).join(' AND ')})`;
    case 'or':
      return expr.args.length === 0 ? '0' : `(${expr.args.map((arg) => compileExpr(arg, codes, params)).join(' OR ')})`;
    case 'not':
      return `(NOT ${compileExpr(expr.arg, codes, params)})`;
    case 'in': {
      const target = FIELD_COLUMNS[expr.field];
      if (target === undefined) throw new BiospecError('INVALID_QUERY', `unknown field '${String(expr.field)}'`);
      // A value the catalogue never stored has no code and matches nothing.
      const known = (expr.values as readonly string[])
        .map((value) => codes.codeOf(target.kind, value))
        .filter((code): code is number => code !== undefined);
      return inList(target.column, known, params);
    }
    case 'age_range': {
      const parts = ['s.age_at_collection IS NOT NULL'];
      if (expr.min !== undefined) parts.push(bind(params, expr.min, 's.age_at_collection >= ?'));
      if (expr.max !== undefined) parts.push(bind(params, expr.max, 's.age_at_collection <= ?'));
      return `(${parts.join(' AND ')})`;
    }
    case 'collected_between': {
      const parts = ['s.collected_start IS NOT NULL'];
      if (expr.from !== undefined) parts.push(bind(params, dayNumber(expr.from), 's.collected_start >= ?'));
      if (expr.to !== undefined) parts.push(bind(params, dayNumber(expr.to), 's.collected_end <= ?'));
      return `(${parts.join(' AND ')})`;
    }
    case 'diagnosis': {
      const matching = codesUnder(codes.entries('diagnosis'), expr.codes);
      if (matching.length === 0) return '0';
      return `s.id IN (SELECT d.specimen_id FROM specimen_diagnosis d WHERE ${inList('d.code', matching, params)})`;
    }
    case 'anatomical_site': {
      const matching = codesUnder(codes.entries('anatomical_site'), expr.codes);
      if (matching.length === 0) return '0';
      return `(s.anatomical_site IS NOT NULL AND ${inList('s.anatomical_site', matching, params)})`;
    }
    case 'consent_permits':
      // A use outside the known categories is permitted by no consent.
      return isUseCategory(expr.use) ? bind(params, useBit(expr.use), '(s.permitted_uses & ?) <> 0') : '0';
    case 'min_quantity':
      return bind(params, expr.value, 's.quantity >= ?');
    default:
      throw new BiospecError('INVALID_QUERY', `unknown operator '${String((expr as { op: unknown }).op)}'`);
  }
}

function bind(params: SqlValue[], value: SqlValue, sql: string): string {
  params.push(value);
  return sql;
}

function inList(column: string, values: readonly number[], params: SqlValue[]): string {
  if (values.length === 0) return '0';
  params.push(...values);
  return `${column} IN (${values.map(() => '?').join(', ')})`;
}

/** Codes of every stored ICD code that is one of `ancestors` or a descendant (`icd10IsUnder`). */
function codesUnder(stored: ReadonlyMap<string, number>, ancestors: readonly string[]): number[] {
  const matching: number[] = [];
  for (const [name, code] of stored) if (ancestors.some((ancestor) => icd10IsUnder(name, ancestor))) matching.push(code);
  return matching.sort((a, b) => a - b);
}
