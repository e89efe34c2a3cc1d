/**
 * Compiles a validated feasibility query into one parameterised SQL statement
 * over the catalogue schema. Values only ever travel as bound parameters;
 * column names come from fixed tables here, never from the query.
 */
import { BiospecError } from '@biospec/protocol';
import { isUseCategory, useBit, type Dimension, type Expr, type Query, type Unit } from '@biospec/query';

export type SqlValue = string | number;

/** A compiled count: run `sql` with `params`; rows are {@link CountRow}s. */
export interface CompiledCount {
  sql: string;
  params: SqlValue[];
  /** Stratify dimensions in query order; row column `d<i>` holds dimension i. */
  dimensions: Dimension[];
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
  [dimension: `d${number}`]: string | null;
}

const FIELD_COLUMNS = {
  material_type: 's.material_type',
  sex: 's.sex',
  storage_temperature: 's.storage_temperature',
  status: 's.status',
  collection_id: 's.collection_id',
} as const;

const DIMENSION_COLUMNS: Record<Dimension, string> = {
  material_type: 's.material_type',
  sex: 's.sex',
  storage_temperature: 's.storage_temperature',
  age_band: 's.age_band',
  diagnosis_chapter: 's.diagnosis_chapter',
};

const UNIT_COLUMNS: Record<Unit, string | null> = { aliquots: null, specimens: 's.root_id', donors: 's.donor_id' };

/** Spelled exactly like the partial count indexes' WHERE clause, so the planner can use them. */
const NOT_WITHDRAWN = "s.status <> 'withdrawn'";

/** Compiles `query` (already validated) into one statement counting its unit, per stratum when asked. */
export function compileCount(query: Query): CompiledCount {
  const params: SqlValue[] = [];
  const condition = query.where === undefined ? NOT_WITHDRAWN : `${NOT_WITHDRAWN} AND ${compileExpr(query.where, params)}`;
  const dimensions = [...new Set(query.stratify ?? [])];
  const unitColumn = UNIT_COLUMNS[query.unit];
  if (unitColumn === undefined) throw new BiospecError('INVALID_QUERY', `unknown unit '${String(query.unit)}'`);
  const counted = unitColumn === null ? 'COUNT(*)' : `COUNT(DISTINCT ${unitColumn})`;

  if (dimensions.length === 0) {
    return { sql: `SELECT 1 AS total_row, ${counted} AS n FROM specimen s WHERE ${condition}`, params, dimensions, totalRow: true };
  }
  const columns = dimensions.map((d, i) => `${dimensionColumn(d)} AS d${i}`);
  const groups = dimensions.map((_, i) => `d${i}`).join(', ');
  if (unitColumn === null) {
    const sql = `SELECT 0 AS total_row, ${columns.join(', ')}, COUNT(*) AS n FROM specimen s WHERE ${condition} GROUP BY ${groups}`;
    return { sql, params, dimensions, totalRow: false };
  }
  // Distinct units can fall in several strata, so the total is its own aggregate over the same matches.
  const sql =
    `WITH m AS MATERIALIZED (SELECT ${unitColumn} AS u, ${columns.join(', ')} FROM specimen s WHERE ${condition}) ` +
    `SELECT 1 AS total_row, ${dimensions.map((_, i) => `NULL AS d${i}`).join(', ')}, COUNT(DISTINCT u) AS n FROM m ` +
    `UNION ALL SELECT 0, ${groups}, COUNT(DISTINCT u) FROM m GROUP BY ${groups}`;
  return { sql, params, dimensions, totalRow: true };
}

function dimensionColumn(dimension: Dimension): string {
  const column = DIMENSION_COLUMNS[dimension];
  if (column === undefined) throw new BiospecError('INVALID_QUERY', `unknown stratify dimension '${String(dimension)}'`);
  return column;
}

/**
 * SQL for one expression, appending its values to `params`. Every fragment is
 * two-valued (never NULL), so NOT of a predicate matches exactly the rows the
 * predicate does not, unknown values included.
 */
export function compileExpr(expr: Expr, params: SqlValue[]): string {
  switch (expr.op) {
    case 'and':
      return expr.args.length === 0 ? '1' : `(${expr.args.map((arg) => compileExpr(arg, params)).join(' AND ')})`;
    case 'or':
      return expr.args.length === 0 ? '0' : `(${expr.args.map((arg) => compileExpr(arg, params)).join(' OR ')})`;
    case 'not':
      return `(NOT ${compileExpr(expr.arg, params)})`;
    case 'in': {
      const column = FIELD_COLUMNS[expr.field];
      if (column === undefined) throw new BiospecError('INVALID_QUERY', `unknown field '${String(expr.field)}'`);
      const values = expr.values as readonly string[];
      if (values.length === 0) return '0';
      params.push(...values);
      return `${column} IN (${values.map(() => '?').join(', ')})`;
    }
    case 'age_range': {
      const parts = ['s.age_at_collection IS NOT NULL'];
      if (expr.min !== undefined) parts.push(bind(params, expr.min, 's.age_at_collection >= ?'));
      if (expr.max !== undefined) parts.push(bind(params, expr.max, 's.age_at_collection <= ?'));
      return `(${parts.join(' AND ')})`;
    }
    case 'collected_between': {
      const parts = ['s.collected_start IS NOT NULL'];
      if (expr.from !== undefined) parts.push(bind(params, expr.from, 's.collected_start >= ?'));
      if (expr.to !== undefined) parts.push(bind(params, expr.to, 's.collected_end <= ?'));
      return `(${parts.join(' AND ')})`;
    }
    case 'diagnosis': {
      if (expr.codes.length === 0) return '0';
      const terms = expr.codes.map((code) => descendantTest('d.code', code, params)).join(' OR ');
      return `s.id IN (SELECT d.specimen_id FROM specimen_diagnosis d WHERE ${terms})`;
    }
    case 'anatomical_site': {
      if (expr.codes.length === 0) return '0';
      const terms = expr.codes.map((code) => descendantTest('s.anatomical_site', code, params)).join(' OR ');
      return `(s.anatomical_site IS NOT NULL AND (${terms}))`;
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

/**
 * `column` is `code` or one of its descendants, as `icd10IsUnder` defines it,
 * written as index-friendly ranges: a category `C50` covers `C50` and
 * `C50.*`; a longer code covers every code it is a prefix of.
 */
function descendantTest(column: string, code: string, params: SqlValue[]): string {
  if (code === '') return `${column} IS NOT NULL`;
  if (code.length === 3) {
    params.push(code, `${code}.`, `${code}/`);
    return `(${column} = ? OR (${column} >= ? AND ${column} < ?))`;
  }
  params.push(code, prefixUpperBound(code));
  return `(${column} >= ? AND ${column} < ?)`;
}

/** The least string above every string starting with `prefix` (codes are ASCII). */
function prefixUpperBound(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
