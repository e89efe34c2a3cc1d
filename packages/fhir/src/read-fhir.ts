import path from 'node:path';
import { BiospecError } from '@biospec/protocol';
import { createRowBatchEncoder, ROW_BATCHES, type RowBatchSource, type SourceRow } from '@biospec/query';
import { createDonorIndex, type DonorIndex, type Place } from './donor-index.js';
import {
  conditionSchema,
  consentSchema,
  organizationSchema,
  parseResource,
  patientSchema,
  specimenSchema,
  type LocatedIssue,
} from './fhir-model.js';
import { addExample, emptyStats, increment, type FhirImportStats, type FhirWarning } from './import-stats.js';
import { mapCondition, mapConsent, mapPatient } from './map-donor.js';
import { mapSpecimen } from './map-specimen.js';
import { loadConsentTable, type ConsentTable } from './mapping-tables.js';
import { identifierKey, referenceKey, resourceKeys, uuidOf } from './references.js';
import { fileSize, parseSpecimen, readSpecimens, streamResources, type FoundResource, type SpecimenText } from './resource-stream.js';
import { fastSpecimen } from './fast-specimen.js';
import { SpecimenPlaces } from './specimen-places.js';
import { SYSTEMS } from './systems.js';

/** Options of {@link createFhirReader} and {@link readFhir}. */
export interface FhirReaderOptions {
  /**
   * Progress: bytes read so far and in total. Every file is read twice
   * (donors first, then specimens), so `total` is twice their size.
   */
  onBytes?: (read: number, total: number) => void;
  /** Every warning (a value dropped or guessed, a problem that blocks nothing), as it is found. */
  onWarning?: (warning: FhirWarning) => void;
  /** collection_id of specimens without a custodian extension; default `default`. */
  defaultCollection?: string;
  /** Broad Consent policy code → DUO table; default the shipped `mappings/mii-broad-consent-duo.json`. */
  consentTable?: ConsentTable;
  /** The day consent permits are checked against (`YYYY-MM-DD`); default today (UTC). */
  today?: string;
}

/** A FHIR import in progress: rows to consume, and what was seen besides them. */
export interface FhirReader {
  /**
   * Donor updates first (one row with `donor` per donor the import names),
   * then every specimen as a record (with `linked`), and every problem as a
   * row of issues; may be iterated once per call.
   */
  rows(): AsyncIterable<SourceRow>;
  /** The same rows in batches (cheaper to hand on, e.g. between threads). */
  batches(): AsyncIterable<SourceRow[]>;
  /** A snapshot of what the reading has seen so far; complete once {@link rows} is exhausted. */
  stats(): FhirImportStats;
}

interface Resource {
  resourceType: string;
  id?: unknown;
}

/** The keys of a specimen no Condition's evidence names: none needed. */
const NO_KEYS: readonly string[] = [];

/** Rows per batch handed out by `batches()`. */
const BATCH_ROWS = 256;

/** Specimen, Patient, Condition, Consent and Organization are mapped; any other type is only counted. */
const MAPPED_TYPES = new Set(['Specimen', 'Patient', 'Condition', 'Consent', 'Organization']);

/**
 * Reads one FHIR export in this thread (see `createFhirReader` for the
 * version that reads on a worker thread), in one file or split over several (Patients,
 * Conditions, Consents, Specimens and Organizations in any order and split
 * any way): JSON Bundles (transaction, batch, collection, searchset), NDJSON,
 * or bare resources, told apart by content. Two streaming passes over all
 * files: the first keeps compact donor facts (Patient sex and birth date,
 * Condition ICD-10 codes, Consent DUO uses, collections), the second maps each
 * Specimen into a record. Memory grows with donors, not specimens or file size.
 */
export function createFhirReaderInThread(paths: string | readonly string[], options: FhirReaderOptions = {}): FhirReader {
  const files = typeof paths === 'string' ? [paths] : [...paths];
  let stats = emptyStats();
  const consentTable = options.consentTable ?? loadConsentTable();
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const reader: FhirReader = {
    rows: () => rowBatchSourceOf(() => reader.batches()),
    async *batches() {
      let out: SourceRow[] = [];
      if (files.length === 0) throw new BiospecError('INVALID_ARGUMENT', 'no FHIR file to import');
      stats = emptyStats();
      stats.files = files.length;
      const sizes = await Promise.all(files.map((file) => fileSize(file)));
      const total = 2 * sizes.reduce((a, b) => a + b, 0);
      let done = 0;
      const warn = (warning: FhirWarning): void => {
        const kind = (stats.warnings[warning.kind] ??= { count: 0, examples: [] });
        kind.count += 1;
        addExample(kind.examples, `${warning.ref}${warning.field ? ` ${warning.field}` : ''}: ${warning.message}`);
        options.onWarning?.(warning);
      };
      const index = createDonorIndex();
      const multiple = files.length > 1;
      const placeOf = (file: string, found: FoundResource, ref: string): Place => ({
        ref,
        where: multiple ? `${path.basename(file)} ${found.location}` : found.location,
      });

      let seen = 0;
      const places = files.map(() => new SpecimenPlaces());
      for (const [i, file] of files.entries()) {
        const offset = done;
        const onBundle = (type: string): void => increment(stats.bundles, type);
        // Specimens wait for the second pass, except those a `urn:` full URL names (a parent reference may use it).
        const select = (type: string | undefined, fullUrl: () => string | undefined) => type !== 'Specimen' || (fullUrl()?.startsWith('urn:') ?? false);
        let before = seen;
        for await (const found of streamResources(file, { onBytes: (read) => options.onBytes?.(offset + read, total), onBundle, select, places: places[i] as SpecimenPlaces })) {
          seen += 1;
          indexResource(file, found, index, stats, placeOf, { table: consentTable, today }, warn);
        }
        if (seen === before && Object.keys(stats.bundles).length === 0) throw new BiospecError('INVALID_DATA', `no FHIR resource found in ${file}`);
        before = seen;
        done += sizes[i] as number;
      }
      index.finish();
      for (const duplicate of index.duplicates()) {
        warn({ kind: 'duplicate id', ref: duplicate.ref, message: `appears twice: at ${duplicate.first} and at ${duplicate.again}` });
      }
      for (const update of index.donorUpdates()) {
        stats.donors.updated += 1;
        out.push({ ref: `Patient/${update.donor_id}`, donor: update });
        if (out.length === BATCH_ROWS) {
          yield out;
          out = [];
        }
      }

      const context = index.context(options.defaultCollection ?? 'default');
      const donorsWithSpecimens = new Set<string>();
      for (const [i, file] of files.entries()) {
        const offset = done;
        const filePlaces = places[i] as SpecimenPlaces;
        const prefix = multiple ? `${path.basename(file)} ` : '';
        for await (const run of readSpecimens(file, filePlaces, (read) => options.onBytes?.(offset + read, total))) {
          for (let s = run.from; s < run.to; s++) {
            if (out.length >= BATCH_ROWS) {
              yield out;
              out = [];
            }
            const start = filePlaces.offset(s) - run.bytesStart;
            const end = start + filePlaces.length(s);
            const entry = filePlaces.entry(s);
            const location = (): string => `${entry ? 'entry' : 'resource'}[${filePlaces.index(s)}]`;
            const text = { json: run.bytes.toString('utf8', start, end), get location() { return location(); }, entry };
            const parsed0 = parseSpecimenText(file, text);
            const found = parsed0 instanceof Promise ? await parsed0 : parsed0;
            if (found === undefined) continue;
            const resource = found.resource as Resource;
            const fullUrl = found.fullUrl;
            const valid = fastSpecimen(resource);
            const ref = specimenRef(resource, fullUrl, () => `${path.basename(file)} ${location()}`);
            // Where the specimen is, worded only for the few that have something to report.
            const where = (): string => `${prefix}${location()}`;
            const located = (issues: LocatedIssue[]): LocatedIssue[] => issues.map((issue) => ({ ...issue, message: `${issue.message} (${where()})` }));
            const parsed = valid !== null ? { ok: true as const, resource: valid } : parseResource(specimenSchema, 'Specimen', resource);
            if (!parsed.ok) {
              stats.specimens.withIssues += 1;
              out.push({ ref, issues: located(parsed.issues) });
              continue;
            }
            const keys = index.namesSpecimens() ? resourceKeys('Specimen', parsed.resource.id, fullUrl) : NO_KEYS;
            const mapping = mapSpecimen(parsed.resource, context, keys, parsed.resource.id === undefined ? uuidOf(fullUrl) : undefined);
            for (const warning of mapping.warnings) warn({ kind: warningKind(warning), ref, ...(warning.field ? { field: warning.field } : {}), message: `${warning.message} (${where()})` });
            if (mapping.skipped) stats.specimens.enteredInError += 1;
            else if (mapping.issues.length > 0 || mapping.record === null) {
              stats.specimens.withIssues += 1;
              out.push({ ref, issues: located(mapping.issues) });
            } else {
              stats.specimens.mapped += 1;
              const donorId = mapping.record.donor_id;
              if (!donorsWithSpecimens.has(donorId)) {
                donorsWithSpecimens.add(donorId);
                const update = index.specimenOnlyDonor(donorId);
                if (update !== null) {
                  stats.donors.updated += 1;
                  out.push({ ref: `Patient/${donorId}`, donor: update });
                }
              }
              out.push({ ref, record: mapping.record, ...(mapping.linked ? { linked: mapping.linked } : {}) });
            }
          }
        }
        done += sizes[i] as number;
        options.onBytes?.(done, total);
      }

      const anySpecimen = stats.specimens.mapped + stats.specimens.withIssues > 0;
      for (const row of index.blockingProblems(donorsWithSpecimens, anySpecimen)) {
        stats.otherResourcesWithIssues += 1;
        out.push(row);
      }
      for (const problem of index.unrelatedProblems(donorsWithSpecimens, anySpecimen)) {
        for (const issue of problem.issues) {
          warn({
            kind: 'not imported, no imported specimen depends on it',
            ref: problem.place.ref,
            ...(issue.field ? { field: issue.field } : {}),
            message: `${issue.message} (${problem.place.where})`,
          });
        }
      }
      if (out.length > 0) yield out;
    },
    stats: () => structuredClone(stats),
  };
  return reader;
}


/** Rows of `batches`, also in columns (encoded in this thread) for an importer that takes them so. */
function rowBatchSourceOf(batches: () => AsyncIterable<SourceRow[]>): RowBatchSource {
  return {
    [Symbol.asyncIterator]: async function* () {
      for await (const batch of batches()) yield* batch;
    },
    [ROW_BATCHES]: async function* () {
      const encoder = createRowBatchEncoder();
      for await (const batch of batches()) yield encoder.encode(batch);
    },
  };
}

/** A Specimen's resource and full URL (undefined for an entry without a resource). JSON.parse cannot fail on text the first pass split, except for malformed JSON inside it: parse without an await in the common case. */
function parseSpecimenText(file: string, text: SpecimenText): { resource: unknown; fullUrl: string | undefined } | undefined | Promise<never> {
  let value: { resource?: unknown; fullUrl?: unknown };
  try {
    value = JSON.parse(text.json) as { resource?: unknown; fullUrl?: unknown };
  } catch {
    // Fails with the position of the syntax error.
    return parseSpecimen(file, text).then(() => {
      throw new BiospecError('INTERNAL', `${file}: ${text.location} parsed only at the second attempt`);
    });
  }
  if (!text.entry) return { resource: value, fullUrl: undefined };
  if (value.resource === undefined) return undefined;
  return { resource: value.resource, fullUrl: typeof value.fullUrl === 'string' ? value.fullUrl : undefined };
}

/** Groups warnings by what they are, for the summary. */
function warningKind(warning: LocatedIssue): string {
  if (warning.message.startsWith('body site')) return 'body site dropped';
  if (warning.message.startsWith('specimen type')) return 'specimen type not in the mapping table, imported as other';
  if (warning.message.startsWith('storage temperature')) return 'storage temperature range not in one class, imported as other';
  if (warning.message.startsWith('Diagnose')) return 'MII Diagnose referencing a Condition outside the import';
  if (warning.message.includes('not an ICD-10 code') || warning.message.startsWith('no ICD-10 coding')) return 'diagnosis not coded in ICD-10, dropped';
  return 'other';
}

/** A Specimen's reference, as {@link refOf} words it; `where` only asked for a Specimen with neither id nor uuid. */
function specimenRef(resource: Resource, fullUrl: string | undefined, where: () => string): string {
  if (typeof resource.id === 'string') return `${resource.resourceType}/${resource.id}`;
  const uuid = uuidOf(fullUrl);
  if (uuid !== undefined) return `${resource.resourceType}/${uuid}`;
  return `${resource.resourceType} at ${where()}`;
}

function refOf(resource: Resource, found: FoundResource, file: string): string {
  if (typeof resource.id === 'string') return `${resource.resourceType}/${resource.id}`;
  const uuid = uuidOf(found.fullUrl);
  if (uuid !== undefined) return `${resource.resourceType}/${uuid}`;
  return `${resource.resourceType} at ${path.basename(file)} ${found.location}`;
}

/** First pass over one resource: counts it, keeps what specimens need, and defers its problems. */
function indexResource(
  file: string,
  found: FoundResource,
  index: DonorIndex,
  stats: FhirImportStats,
  placeOf: (file: string, found: FoundResource, ref: string) => Place,
  consentOptions: Parameters<typeof mapConsent>[1],
  warn: (warning: FhirWarning) => void,
): void {
  if (found.type === undefined) {
    if (found.resource === undefined) {
      stats.entriesWithoutResource += 1;
      return;
    }
    warn({ kind: 'not imported, no imported specimen depends on it', ref: `${path.basename(file)} ${found.location}`, message: 'not a FHIR resource: no resourceType' });
    return;
  }
  const type = found.type;
  increment(stats.resources, type);
  if (!MAPPED_TYPES.has(type)) {
    const unmapped = (stats.unmapped[type] ??= { count: 0, examples: [] });
    unmapped.count += 1;
    const id = found.resource === undefined ? undefined : (found.resource as Resource).id;
    addExample(unmapped.examples, typeof id === 'string' ? `${type}/${id}` : `${type} at ${found.location}`);
    return;
  }
  if (type === 'Specimen') {
    const resource = found.resource as Resource | undefined;
    const id = typeof resource?.id === 'string' ? resource.id : uuidOf(found.fullUrl);
    if (id !== undefined && found.fullUrl?.startsWith('urn:')) index.addSpecimenUrl(found.fullUrl, id);
    return;
  }
  const resource = found.resource as Resource;
  const ref = refOf(resource, found, file);
  const place = placeOf(file, found, ref);
  const fallbackId = uuidOf(found.fullUrl);
  const keys = (id: string | undefined): string[] => resourceKeys(type, id ?? fallbackId, found.fullUrl);
  const defer = (issues: LocatedIssue[], subjectKey: string | null, kind: 'donor' | 'other' = 'donor'): void => {
    index.defer({ place, subjectKey, kind, issues });
  };

  switch (type) {
    case 'Patient': {
      const parsed = parseResource(patientSchema, type, resource);
      if (!parsed.ok) return defer(parsed.issues, keys(typeof resource.id === 'string' ? resource.id : undefined)[0] ?? null);
      const mapped = mapPatient(parsed.resource, fallbackId);
      if (mapped.facts === null) return defer(mapped.issues, keys(parsed.resource.id)[0] ?? null);
      const identifiers = (parsed.resource.identifier ?? []).map((i) => identifierKey(i)).filter((k): k is string => k !== undefined);
      index.addPatient(keys(parsed.resource.id), identifiers, mapped.facts, place);
      return;
    }
    case 'Condition': {
      index.sawConditions();
      const parsed = parseResource(conditionSchema, type, resource);
      if (!parsed.ok) return defer(parsed.issues, null);
      const mapped = mapCondition(parsed.resource);
      if (mapped.warning) warn({ kind: 'diagnosis not coded in ICD-10, dropped', ref, ...(mapped.warning.field ? { field: mapped.warning.field } : {}), message: `${mapped.warning.message} (${place.where})` });
      if (mapped.ignored) stats.ignoredConditions += 1;
      else if (mapped.facts === null) {
        const subject = parsed.resource.subject?.reference;
        return defer(mapped.issues, subject === undefined ? null : referenceKey(subject));
      } else index.addCondition(keys(parsed.resource.id), mapped.facts, place);
      return;
    }
    case 'Consent': {
      index.sawConsents();
      const parsed = parseResource(consentSchema, type, resource);
      if (!parsed.ok) return defer(parsed.issues, null);
      const mapped = mapConsent(parsed.resource, consentOptions);
      if (mapped.ignoredStatus !== null) {
        stats.ignoredConsents.count += 1;
        increment(stats.ignoredConsents.byStatus, mapped.ignoredStatus);
        addExample(stats.ignoredConsents.examples, ref);
      } else if (mapped.facts === null) {
        return defer(mapped.issues, parsed.resource.patient?.reference === undefined ? null : referenceKey(parsed.resource.patient.reference));
      } else {
        if (mapped.unmapped !== null) {
          stats.unmappedConsents.count += 1;
          addExample(stats.unmappedConsents.examples, `${ref}: ${mapped.unmapped.reason}${mapped.unmapped.codes.length > 0 ? ` (${mapped.unmapped.codes.join(', ')})` : ''}`);
          warn({ kind: 'consent granting no DUO use', ref, message: `${mapped.unmapped.reason}${mapped.unmapped.codes.length > 0 ? `: ${mapped.unmapped.codes.join(', ')}` : ''} (${place.where})` });
        }
        index.addConsent(mapped.facts, place);
      }
      return;
    }
    default: {
      // Organization, the one mapped type left: a collection, named by its BBMRI-ERIC Directory id.
      const parsed = parseResource(organizationSchema, 'Organization', resource);
      if (!parsed.ok) return defer(parsed.issues, null, 'other');
      const organization = parsed.resource;
      const directoryId = organization.identifier?.find((i) => i.system === SYSTEMS.bbmriEric)?.value;
      const collectionId = directoryId ?? organization.id ?? fallbackId;
      if (collectionId !== undefined) index.addOrganization(keys(organization.id), collectionId, place);
      return;
    }
  }
}
