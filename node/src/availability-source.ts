/**
 * The catalogue as availability answers count on it: available specimens per (collection ×
 * material type), counted by the count engine (index or SQL) with the per-donor caps applied
 * across all cells, and the listing a granted answer holds (read by the catalogue's SQL worker).
 */
import type { Catalogue } from '@biospec/catalogue';
import type { AvailabilitySource } from './availability-pipeline.js';

export function availabilitySourceOf(catalogue: Catalogue): AvailabilitySource {
  return {
    servingEpoch: () => catalogue.servingEpoch(),
    countAvailable: (question) => catalogue.count(question),
    listAvailable: (question, collections, limit) => catalogue.listSpecimens(question.where, collections, limit),
  };
}
