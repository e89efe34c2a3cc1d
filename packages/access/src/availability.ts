/**
 * What an availability question is, at the node: the researcher's query restricted to
 * specimens that are actually available (status available, quantity at least 1), counted as
 * specimens per (collection x material type) over the node's published collection list and
 * one cell for collections it did not describe. The shape of the answer is a function of the
 * question and the published list only; the figures go through the same protection as counts.
 */
import { createHash } from 'node:crypto';
import { BiospecError } from '@biospec/protocol';
import type { Expr, Query, StrataDomains } from '@biospec/query';
import { UNDESCRIBED_COLLECTION } from './collections.js';

/** An availability answer's cells: every published collection (and the rest) by every material type. */
export const AVAILABILITY_STRATIFY = ['collection_id', 'material_type'] as const;

/** The question a node counts for an availability query. */
export interface AvailabilityQuestion {
  unit: 'specimens';
  where: Expr;
  stratify: typeof AVAILABILITY_STRATIFY;
}

/** Only specimens a site could hand out. */
const AVAILABLE: Expr[] = [
  { op: 'in', field: 'status', values: ['available'] },
  { op: 'min_quantity', value: 1 },
];

/**
 * The question behind an availability query (canonical, without stratify).
 * @throws BiospecError INVALID_QUERY when the query asks for strata of its own or another unit.
 */
export function availabilityQuestion(query: Query): AvailabilityQuestion {
  if ((query.stratify ?? []).length > 0) {
    throw new BiospecError('INVALID_QUERY', 'an availability question has no stratify: it is answered per collection and material type', {
      issues: [{ field: 'stratify', message: 'must be empty' }],
    });
  }
  const where: Expr = query.where === undefined ? { op: 'and', args: AVAILABLE } : { op: 'and', args: [query.where, ...AVAILABLE] };
  return { unit: 'specimens', where, stratify: AVAILABILITY_STRATIFY };
}

/**
 * The hash availability answers are keyed by (noise, budget ledger, hold queue): distinct
 * from the count of the same query, so the two never share noise or a free repeat.
 */
export function availabilityKeyHash(queryHash: string): string {
  return createHash('sha256').update(`biospec/availability/v1\n${queryHash}`).digest('hex');
}

/** The strata domain of an availability answer over `domain` (published ids, then the undescribed cell). */
export function availabilityDomains(domain: readonly string[]): StrataDomains {
  return { collection_id: domain };
}

/**
 * True counts per (collection, material) folded onto the published domain: a collection the
 * node did not describe counts in the undescribed cell. Per-donor caps were applied across
 * all cells before, so folding can only lower what one donor adds to any cell.
 */
export function foldIntoDomain<T extends { total: number; strata: { key: Record<string, string>; count: number }[] }>(raw: T, domain: readonly string[]): T {
  const published = new Set(domain);
  const folded = new Map<string, { key: Record<string, string>; count: number }>();
  for (const stratum of raw.strata) {
    const collection = published.has(stratum.key.collection_id as string) ? (stratum.key.collection_id as string) : UNDESCRIBED_COLLECTION;
    const key = { collection_id: collection, material_type: stratum.key.material_type as string };
    const id = `${collection}\n${key.material_type}`;
    const cell = folded.get(id) ?? { key, count: 0 };
    cell.count += stratum.count;
    folded.set(id, cell);
  }
  return { ...raw, strata: [...folded.values()] };
}
