import { BiospecError } from '@biospec/protocol';
import type { SourceRow } from '@biospec/query';
import { createDonorIndex, type DonorIndex } from './donor-index.js';
import {
  conditionSchema,
  consentSchema,
  organizationSchema,
  parseResource,
  patientSchema,
  specimenSchema,
  type LocatedIssue,
} from './fhir-model.js';
import { addExample, emptyStats, increment, type FhirImportStats } from './import-stats.js';
import { mapCondition, mapConsent, mapPatient } from './map-donor.js';
import { mapSpecimen } from './map-specimen.js';
import { resourceKeys } from './references.js';
import { fileSize, streamResources, type FoundResource } from './resource-stream.js';
import { SYSTEMS } from './systems.js';

/** Options of {@link createFhirReader} and {@link readFhir}. */
export interface FhirReaderOptions {
  /**
   * Progress: bytes read so far and in total. The file is read twice (donors
   * first, then specimens), so `total` is twice its size.
   */
  onBytes?: (read: number, total: number) => void;
  /** collection_id of specimens without a bbmri.de Custodian extension; default `default`. */
  defaultCollection?: string;
}

/** A FHIR import in progress: rows to consume, and what was seen besides them. */
export interface FhirReader {
  /** Every specimen as a record, and every problem as a row of issues; may be iterated once per call. */
  rows(): AsyncIterable<SourceRow>;
  /** A snapshot of what the reading has seen so far; complete once {@link rows} is exhausted. */
  stats(): FhirImportStats;
}

interface Resource {
  resourceType: string;
  id?: unknown;
}

/** Specimen, Patient, Condition, Consent and Organization are mapped; any other type is only counted. */
const MAPPED_TYPES = new Set(['Specimen', 'Patient', 'Condition', 'Consent', 'Organization']);

/**
 * Reads a FHIR R4 JSON Bundle (transaction, batch, collection, searchset) or
 * an NDJSON file of resources, telling them apart by content. Two streaming
 * passes: the first keeps compact donor facts (Patient sex and birth date,
 * Condition ICD-10 codes, active Consent DUO codes, collections), the second
 * maps each Specimen into a record. Memory grows with donors, not file size.
 */
export function createFhirReader(path: string, options: FhirReaderOptions = {}): FhirReader {
  let stats = emptyStats();
  return {
    async *rows() {
      stats = emptyStats();
      const size = await fileSize(path);
      const index = createDonorIndex();
      const progress = (offset: number) => (read: number) => options.onBytes?.(offset + read, 2 * size);
      const onBundle = (type: string): void => increment(stats.bundles, type);

      let seen = 0;
      for await (const found of streamResources(path, { onBytes: progress(0), onBundle, select: (type) => type !== 'Specimen' })) {
        seen += 1;
        const row = indexResource(found, index, stats);
        if (row) yield row;
      }
      if (seen === 0 && Object.keys(stats.bundles).length === 0) {
        throw new BiospecError('INVALID_DATA', `no FHIR resource found in ${path}`);
      }
      for (const row of index.finish()) {
        stats.otherResourcesWithIssues += 1;
        yield row;
      }

      const context = index.context(options.defaultCollection ?? 'default');
      for await (const found of streamResources(path, { onBytes: progress(size), select: (type) => type === 'Specimen' })) {
        const resource = found.resource as Resource | undefined;
        if (resource?.resourceType !== 'Specimen') continue;
        const ref = refOf(resource, found);
        const parsed = parseResource(specimenSchema, 'Specimen', resource);
        if (!parsed.ok) {
          stats.specimens.withIssues += 1;
          yield { ref, issues: parsed.issues };
          continue;
        }
        const mapping = mapSpecimen(parsed.resource, context, resourceKeys('Specimen', parsed.resource.id, found.fullUrl));
        if (mapping.skipped) stats.specimens.enteredInError += 1;
        else if (mapping.issues.length > 0 || mapping.record === null) {
          stats.specimens.withIssues += 1;
          yield { ref, issues: mapping.issues };
        } else {
          stats.specimens.mapped += 1;
          yield { ref, record: mapping.record };
        }
      }
    },
    stats: () => structuredClone(stats),
  };
}

/** The simple form: the rows of {@link createFhirReader}. */
export function readFhir(path: string, options: FhirReaderOptions = {}): AsyncIterable<SourceRow> {
  return createFhirReader(path, options).rows();
}

function refOf(resource: Resource, found: FoundResource): string {
  return typeof resource.id === 'string' ? `${resource.resourceType}/${resource.id}` : found.location;
}

/** First pass over one resource: counts it, keeps what specimens need, and returns a row when it has problems. */
function indexResource(found: FoundResource, index: DonorIndex, stats: FhirImportStats): SourceRow | null {
  const value = found.resource;
  if (value === undefined) {
    stats.entriesWithoutResource += 1;
    return null;
  }
  if (typeof value !== 'object' || value === null || typeof (value as Resource).resourceType !== 'string') {
    stats.otherResourcesWithIssues += 1;
    return { ref: found.location, issues: [{ field: 'resourceType', message: 'not a FHIR resource: no resourceType' }] };
  }
  const resource = value as Resource;
  const type = resource.resourceType;
  const ref = refOf(resource, found);
  increment(stats.resources, type);
  if (!MAPPED_TYPES.has(type)) {
    const unmapped = (stats.unmapped[type] ??= { count: 0, examples: [] });
    unmapped.count += 1;
    addExample(unmapped.examples, ref);
    return null;
  }
  const keys = (id: string | undefined): string[] => resourceKeys(type, id, found.fullUrl);
  const problem = (issues: LocatedIssue[]): SourceRow => {
    stats.otherResourcesWithIssues += 1;
    return { ref, issues };
  };

  switch (type) {
    case 'Specimen': {
      if (typeof resource.id === 'string' && found.fullUrl?.startsWith('urn:')) index.addSpecimenUrl(found.fullUrl, resource.id);
      return null;
    }
    case 'Patient': {
      const parsed = parseResource(patientSchema, type, resource);
      if (!parsed.ok) return problem(parsed.issues);
      const mapped = mapPatient(parsed.resource);
      if (mapped.facts === null) return problem(mapped.issues);
      const duplicate = index.addPatient(keys(parsed.resource.id), mapped.facts, ref);
      if (duplicate) stats.otherResourcesWithIssues += 1;
      return duplicate;
    }
    case 'Condition': {
      const parsed = parseResource(conditionSchema, type, resource);
      if (!parsed.ok) return problem(parsed.issues);
      const mapped = mapCondition(parsed.resource);
      if (mapped.ignored) stats.ignoredConditions += 1;
      else if (mapped.facts === null) return problem(mapped.issues);
      else index.addCondition(keys(parsed.resource.id), mapped.facts, ref);
      return null;
    }
    case 'Consent': {
      const parsed = parseResource(consentSchema, type, resource);
      if (!parsed.ok) return problem(parsed.issues);
      const mapped = mapConsent(parsed.resource);
      if (mapped.ignoredStatus !== null) {
        stats.ignoredConsents.count += 1;
        increment(stats.ignoredConsents.byStatus, mapped.ignoredStatus);
        addExample(stats.ignoredConsents.examples, ref);
      } else if (mapped.facts === null) return problem(mapped.issues);
      else index.addConsent(mapped.facts, ref);
      return null;
    }
    default: {
      // Organization, the one mapped type left: a bbmri.de collection, named by its BBMRI-ERIC Directory id.
      const parsed = parseResource(organizationSchema, 'Organization', resource);
      if (!parsed.ok) return problem(parsed.issues);
      const organization = parsed.resource;
      const directoryId = organization.identifier?.find((i) => i.system === SYSTEMS.bbmriEric)?.value;
      const collectionId = directoryId ?? organization.id;
      if (collectionId !== undefined) index.addOrganization(keys(organization.id), collectionId);
      return null;
    }
  }
}
