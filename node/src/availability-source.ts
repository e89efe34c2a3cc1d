/**
 * The catalogue as availability answers count on it: available specimens per (collection ×
 * material type) with the per-donor caps across all cells, and the listing a granted answer
 * holds. Both need the count engine to know collection strata and to list rows; until that
 * engine change is in, a node refuses availability questions before anything is charged.
 */
import { BiospecError } from '@biospec/protocol';
import type { Catalogue } from '@biospec/catalogue';
import type { AvailabilitySource } from './availability-pipeline.js';

export function availabilitySourceOf(_catalogue: Catalogue): AvailabilitySource {
  const notYet = (): never => {
    throw new BiospecError('FAILED_PRECONDITION', 'this node cannot answer availability questions yet: its count engine has no collection strata');
  };
  return {
    servingEpoch: notYet,
    countAvailable: async () => notYet(),
    listAvailable: async () => notYet(),
  };
}
