import type { MaterialType } from '@biospec/query';

/**
 * The coarse shape of a catalogue for the node's descriptor, over
 * non-withdrawn specimens only. Exact figures: the caller decides how coarse to publish them.
 */
export interface CatalogueSummary {
  /** Non-withdrawn specimen records (aliquots included). */
  specimens: number;
  /** Distinct donors with at least one non-withdrawn specimen. */
  donors: number;
  /** Distinct collections with at least one non-withdrawn specimen. */
  collections: number;
  /** Non-withdrawn specimen records per material type; types with none are omitted. */
  materialTypes: Partial<Record<MaterialType, number>>;
  /** The data epoch these figures are true for. */
  epoch: number;
}
