/**
 * The executable specification of what a query means. Nodes answer queries in
 * SQL; tests run the same query through this plain, row-by-row evaluator and
 * compare. It deliberately shares nothing with the SQL path beyond the
 * vocabulary helpers both are defined against.
 */
import type { CountQuestion, Expr, StrataDimension, Unit } from './ast.js';
import { canonicalJson } from './canonical.js';
import type { ContributionCaps } from './contribution.js';
import type { SpecimenRecord } from './specimen.js';
import { ageBand, diagnosisChapter } from './strata.js';
import { consentPermits, isUseCategory } from './vocab/duo.js';
import { icd10IsUnder } from './vocab/icd10.js';

/** A count as the reference evaluator computes it, before any disclosure control. */
export interface ReferenceCount {
  total: number;
  /** Non-empty strata only, sorted by `canonicalJson(key)`; empty when the query has no `stratify`. */
  strata: { key: Record<string, string>; count: number }[];
}

/**
 * True when `record` satisfies `expr` (an absent expression matches everything).
 * Evaluates the expression only: excluding withdrawn specimens is the count's job.
 */
export function matches(expr: Expr | undefined, record: SpecimenRecord): boolean {
  if (expr === undefined) return true;
  switch (expr.op) {
    case 'and':
      return expr.args.every((arg) => matches(arg, record));
    case 'or':
      return expr.args.some((arg) => matches(arg, record));
    case 'not':
      return !matches(expr.arg, record);
    case 'in':
      return (expr.values as readonly string[]).includes(record[expr.field]);
    case 'age_range': {
      const age = record.age_at_collection;
      return age !== null && (expr.min === undefined || age >= expr.min) && (expr.max === undefined || age <= expr.max);
    }
    case 'collected_between': {
      const span = record.collected_on === null ? null : daySpan(record.collected_on);
      return span !== null && (expr.from === undefined || span.first >= expr.from) && (expr.to === undefined || span.last <= expr.to);
    }
    case 'diagnosis':
      return record.diagnosis.some((code) => expr.codes.some((ancestor) => icd10IsUnder(code, ancestor)));
    case 'anatomical_site': {
      const site = record.anatomical_site;
      return site !== null && expr.codes.some((ancestor) => icd10IsUnder(site, ancestor));
    }
    case 'consent_permits':
      return isUseCategory(expr.use) && consentPermits(record.consent, expr.use);
    case 'min_quantity':
      return record.quantity >= expr.value;
  }
}

/** The stratum a record falls in: its value for each requested dimension. */
export function stratumKeyOf(dimensions: readonly StrataDimension[], record: SpecimenRecord): Record<string, string> {
  const key: Record<string, string> = {};
  for (const dimension of dimensions) key[dimension] = dimensionValue(dimension, record);
  return key;
}

/** Options of {@link referenceCount}. */
export interface ReferenceCountOptions {
  /** Per-donor contribution bounds; absent: every matching unit counts (see {@link ContributionCaps}). */
  caps?: ContributionCaps;
}

/**
 * Counts `query` over `records` by the binding rules: withdrawn specimens never
 * count; `aliquots` counts matching records, `specimens` distinct root
 * ancestors within each donor (see {@link createDonorRootFinder}), `donors`
 * distinct donors, overall and within each stratum.
 * With `options.caps`, each donor's contribution is bounded as
 * {@link ContributionCaps} says.
 */
export function referenceCount(query: CountQuestion, records: readonly SpecimenRecord[], options: ReferenceCountOptions = {}): ReferenceCount {
  if (options.caps !== undefined) return cappedCount(query, records, options.caps);
  const unitOf = unitIdentity(query.unit, records);
  const dimensions = query.stratify ?? [];
  const total = new Set<string>();
  const strata = new Map<string, { key: Record<string, string>; units: Set<string> }>();

  records.forEach((record, index) => {
    if (record.status === 'withdrawn' || !matches(query.where, record)) return;
    const unit = unitOf(record, index);
    total.add(unit);
    if (dimensions.length === 0) return;
    const key = stratumKeyOf(dimensions, record);
    const id = canonicalJson(key);
    let stratum = strata.get(id);
    if (stratum === undefined) {
      stratum = { key, units: new Set() };
      strata.set(id, stratum);
    }
    stratum.units.add(unit);
  });

  return {
    total: total.size,
    strata: sortedStrata([...strata.values()].map((stratum) => ({ key: stratum.key, count: stratum.units.size }))),
  };
}

/** {@link referenceCount} with per-donor contribution caps, written as plainly as the rule reads. */
function cappedCount(query: CountQuestion, records: readonly SpecimenRecord[], caps: ContributionCaps): ReferenceCount {
  const rootOf = createDonorRootFinder(records);
  const dimensions = query.stratify ?? [];
  const byDonor = new Map<string, { record: SpecimenRecord; index: number; root: string }[]>();
  records.forEach((record, index) => {
    if (record.status === 'withdrawn' || !matches(query.where, record)) return;
    let rows = byDonor.get(record.donor_id);
    if (rows === undefined) {
      rows = [];
      byDonor.set(record.donor_id, rows);
    }
    rows.push({ record, index, root: rootOf(record) });
  });

  const totalCap = query.unit === 'donors' ? 1 : caps[query.unit];
  const cellCap = query.unit === 'donors' ? caps.donorCells : caps[query.unit];
  const cells = new Map<string, { key: Record<string, string>; count: number }>();
  let total = 0;
  for (const [donor, rows] of byDonor) {
    rows.sort((a, b) => compareText(a.root, b.root) || compareText(a.record.sample_id, b.record.sample_id) || a.index - b.index);
    const unitOf = (row: (typeof rows)[number]): string =>
      query.unit === 'aliquots' ? String(row.index) : query.unit === 'specimens' ? row.root : donor;
    const units = new Set(rows.map(unitOf));
    total += Math.min(totalCap, units.size);
    if (dimensions.length === 0) continue;
    const pairs = new Map<string, Record<string, string>>();
    for (const row of rows) {
      if (pairs.size >= cellCap) break;
      const key = stratumKeyOf(dimensions, row.record);
      pairs.set(`${unitOf(row)}\n${canonicalJson(key)}`, key);
    }
    for (const key of pairs.values()) {
      const id = canonicalJson(key);
      const cell = cells.get(id) ?? { key, count: 0 };
      cell.count += 1;
      cells.set(id, cell);
    }
  }
  return { total, strata: sortedStrata([...cells.values()]) };
}

function sortedStrata(strata: { key: Record<string, string>; count: number }[]): ReferenceCount['strata'] {
  return strata
    .map((stratum) => ({ stratum, id: canonicalJson(stratum.key) }))
    .sort((a, b) => compareText(a.id, b.id))
    .map(({ stratum }) => stratum);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function dimensionValue(dimension: StrataDimension, record: SpecimenRecord): string {
  switch (dimension) {
    case 'collection_id':
      return record.collection_id;
    case 'material_type':
      return record.material_type;
    case 'sex':
      return record.sex;
    case 'storage_temperature':
      return record.storage_temperature;
    case 'age_band':
      return ageBand(record.age_at_collection);
    case 'diagnosis_chapter':
      return diagnosisChapter(record.diagnosis);
  }
}

/**
 * What identifies one counted unit: each record itself, its donor, or its root
 * specimen within its donor (a specimen belongs to one donor: the same root id
 * under two donors is two specimens).
 */
function unitIdentity(unit: Unit, records: readonly SpecimenRecord[]): (record: SpecimenRecord, index: number) => string {
  switch (unit) {
    case 'aliquots':
      return (_record, index) => String(index);
    case 'donors':
      return (record) => record.donor_id;
    case 'specimens': {
      const rootOf = createDonorRootFinder(records);
      return (record) => `${record.donor_id}\u0000${rootOf(record)}`;
    }
  }
}

/**
 * Finds a record's root specimen within its own donor's records: parent links
 * are followed while the parent is a record of the same donor (withdrawn ones
 * included); a parent id naming no record of that donor (missing, or another
 * donor's) is itself the root. So one donor's specimens never depend on
 * another donor's records, which the per-donor bound needs. A cycle resolves
 * to its smallest id, whatever the start.
 */
function createDonorRootFinder(records: readonly SpecimenRecord[]): (record: SpecimenRecord) => string {
  const byId = new Map(records.map((r) => [r.sample_id, r]));
  return (record) => {
    const path = [record.sample_id];
    let current = record;
    for (;;) {
      const parentId = current.parent_sample_id;
      if (parentId === null) return current.sample_id;
      const parent = byId.get(parentId);
      if (parent === undefined || parent.donor_id !== record.donor_id) return parentId;
      const at = path.indexOf(parentId);
      if (at >= 0) return path.slice(at).sort()[0] as string;
      path.push(parentId);
      current = parent;
    }
  };
}

/** First and last day a possibly partial ISO date denotes: `2019-05` → 2019-05-01..2019-05-31. */
function daySpan(date: string): { first: string; last: string } | null {
  const parts = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(date);
  if (!parts) return null;
  const year = parts[1] as string;
  const month = parts[2];
  if (parts[3] !== undefined) return { first: date, last: date };
  if (month !== undefined) return { first: `${year}-${month}-01`, last: `${year}-${month}-${lastDayOfMonth(Number(year), Number(month))}` };
  return { first: `${year}-01-01`, last: `${year}-12-31` };
}

function lastDayOfMonth(year: number, month: number): string {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return String(days);
}
