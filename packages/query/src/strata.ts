import { BiospecError } from '@biospec/protocol/core';
import type { Dimension, StrataDimension, Unit } from './ast.js';
import { icd10Chapter } from './vocab/icd10.js';
import { DIMENSION_DOMAINS } from './strata-domains.js';

export { AGE_BANDS, DIMENSION_DOMAINS } from './strata-domains.js';

export function ageBand(age: number | null): string {
  if (age === null) return 'unknown';
  if (age < 18) return '0-17';
  if (age < 30) return '18-29';
  if (age >= 80) return '80+';
  const low = Math.floor(age / 10) * 10;
  return `${low}-${low + 9}`;
}

/** The ICD-10 chapter of the primary (first) diagnosis; `none` when there is none. */
export function diagnosisChapter(diagnosis: readonly string[]): string {
  const primary = diagnosis[0];
  if (primary === undefined) return 'none';
  return icd10Chapter(primary) ?? 'unknown';
}

/** Domains a node supplies: `collection_id`'s is its published collection list (and one cell for the rest). */
export interface StrataDomains {
  collection_id?: readonly string[];
}

/** What the shape of an answer is computed from: its unit and stratification. */
export interface StrataQuestion {
  unit: Unit;
  stratify?: readonly StrataDimension[];
}

function domainOf(dimension: StrataDimension, domains: StrataDomains | undefined): readonly string[] {
  if (dimension !== 'collection_id') return DIMENSION_DOMAINS[dimension];
  const published = domains?.collection_id;
  if (published === undefined) throw new BiospecError('INTERNAL', "stratifying by collection_id needs the node's published collection domain");
  return published;
}

/** How many cells stratifying by `dimensions` gives: the product of their domains' sizes (1 for none). */
export function strataCellCount(dimensions: readonly StrataDimension[], domains?: StrataDomains): number {
  return dimensions.reduce((cells, dimension) => cells * domainOf(dimension, domains).length, 1);
}

/**
 * Every cell of stratifying by `dimensions`, in a fixed order: the product
 * of the domains, the first dimension varying slowest. Empty for no dimensions.
 */
export function strataCells(dimensions: readonly StrataDimension[], domains?: StrataDomains): Record<string, string>[] {
  if (dimensions.length === 0) return [];
  let cells: Record<string, string>[] = [{}];
  for (const dimension of dimensions) {
    cells = cells.flatMap((cell) => domainOf(dimension, domains).map((value) => ({ ...cell, [dimension]: value })));
  }
  return cells;
}

const DOMAIN_POSITIONS: Readonly<Record<Dimension, ReadonlyMap<string, number>>> = Object.fromEntries(
  Object.entries(DIMENSION_DOMAINS).map(([dimension, values]) => [dimension, new Map(values.map((value, i) => [value, i]))]),
) as unknown as Record<Dimension, ReadonlyMap<string, number>>;

/**
 * The position of the cell with `key` in {@link strataCells}`(dimensions, domains)`, or
 * −1 when a value lies outside its dimension's domain (or a dimension is missing).
 */
export function strataCellIndex(dimensions: readonly StrataDimension[], key: Readonly<Record<string, string>>, domains?: StrataDomains): number {
  let index = 0;
  for (const dimension of dimensions) {
    const value = key[dimension] as string;
    if (dimension === 'collection_id') {
      const domain = domainOf(dimension, domains);
      const position = value === undefined ? -1 : domain.indexOf(value);
      if (position < 0) return -1;
      index = index * domain.length + position;
      continue;
    }
    const position = DOMAIN_POSITIONS[dimension].get(value);
    if (position === undefined) return -1;
    index = index * DIMENSION_DOMAINS[dimension].length + position;
  }
  return index;
}
