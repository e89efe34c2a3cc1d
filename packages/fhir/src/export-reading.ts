/**
 * The two passes over a FHIR export, as parts that can run in one thread (read-fhir.ts) or
 * spread over reading threads (fhir-parallel.ts): the first pass over every file with the
 * donor updates it yields, the Specimens of any run of the second pass ("chunks" of the
 * places the first pass recorded), and the rows the end decides (problems that block).
 */
import path from 'node:path';
import { BiospecError } from '@biospec/protocol/core';
import type { SourceRow } from '@biospec/query';
import { createDonorIndex, specimenLookup, type DonorIndex, type Place, type SpecimenLookup } from './donor-index.js';
import { fastCondition, fastConsent, fastOrganization, fastPatient, fastSpecimen } from './fast-shapes.js';
import {
  conditionSchema,
  consentSchema,
  organizationSchema,
  parseResource,
  patientSchema,
  specimenSchema,
  type LocatedIssue,
} from './fhir-model.js';
import { addExample, countWarning, emptyStats, increment, type FhirImportStats, type FhirWarning } from './import-stats.js';
import { mapCondition, mapConsent, mapPatient } from './map-donor.js';
import { mapSpecimen } from './map-specimen.js';
import { loadConsentTable } from './mapping-tables.js';
import type { FhirReaderOptions } from './reader-options.js';
import { identifierKey, referenceKey, resourceKeys, uuidOf } from './references.js';
import { fileSize, parseSpecimen, readSpecimens, visitResources, type FoundResource, type SpecimenText } from './resource-stream.js';
import { SpecimenPlaces } from './specimen-places.js';
import { SYSTEMS } from './systems.js';

interface Resource {
  resourceType: string;
  id?: unknown;
}

/** The keys of a specimen no Condition's evidence names: none needed. */
const NO_KEYS: readonly string[] = [];

/** Rows per batch the parts yield. */
export const BATCH_ROWS = 256;

/** Specimen, Patient, Condition, Consent and Organization are mapped; any other type is only counted. */
const MAPPED_TYPES = new Set(['Specimen', 'Patient', 'Condition', 'Consent', 'Organization']);

/** Specimens `from` to `to` (exclusive) of file `file`'s places; `last` for a file's last chunk. */
export interface SpecimenChunk {
  file: number;
  from: number;
  to: number;
  last: boolean;
}

/** Where the second pass reads: each file's Specimen places, and the sizes progress is told in. */
export interface SpecimenSources {
  files: string[];
  places: SpecimenPlaces[];
  sizes: number[];
}

/** The second pass of Specimens `chunk`s in turn, mapping each with `lookup`; counts and warnings go to `stats` and `warn`. */
export function createSpecimenMapper(
  sources: SpecimenSources,
  lookup: SpecimenLookup,
  stats: FhirImportStats,
  warn: (warning: FhirWarning) => void,
  onBytes: ((read: number, total: number) => void) | undefined,
  batchRows = BATCH_ROWS,
) {
  const { files, places, sizes } = sources;
  const size = sizes.reduce((a, b) => a + b, 0);
  const total = 2 * size;
  const multiple = files.length > 1;
  const donorsWithSpecimens = new Set<string>();
  return {
    /** Donors with a mapped Specimen in the chunks mapped so far. */
    donorsWithSpecimens,
    /** The rows of one chunk, in batches of at most `batchRows`. */
    async *chunk({ file: f, from, to, last }: SpecimenChunk): AsyncGenerator<SourceRow[]> {
      const file = files[f] as string;
      const filePlaces = places[f] as SpecimenPlaces;
      // Progress of the second pass: every file's first pass, then the files before this one.
      const offset = size + sizes.slice(0, f).reduce((a, b) => a + b, 0);
      const prefix = multiple ? `${path.basename(file)} ` : '';
      let out: SourceRow[] = [];
      for await (const run of readSpecimens(file, filePlaces, from, to, (read) => onBytes?.(offset + read, total))) {
        for (let s = run.from; s < run.to; s++) {
          if (out.length >= batchRows) {
            yield out;
            out = [];
          }
          const start = filePlaces.offset(s) - run.bytesStart;
          const end = start + filePlaces.length(s);
          const entry = filePlaces.entry(s);
          const location = (): string => `${entry ? 'entry' : 'resource'}[${filePlaces.index(s)}]`;
          const text = {
            json: run.bytes.toString('utf8', start, end),
            get location() {
              return location();
            },
            entry,
          };
          const parsed0 = parseSpecimenText(file, text);
          const found = parsed0 instanceof Promise ? await parsed0 : parsed0;
          if (found === undefined) continue;
          const resource = found.resource as Resource;
          const fullUrl = found.fullUrl;
          const ref = specimenRef(resource, fullUrl, () => `${path.basename(file)} ${location()}`);
          // Where the specimen is, worded only for the few that have something to report.
          const where = (): string => `${prefix}${location()}`;
          const located = (issues: LocatedIssue[]): LocatedIssue[] => issues.map((issue) => ({ ...issue, message: `${issue.message} (${where()})` }));
          const valid = fastSpecimen(resource);
          const parsed = valid !== null ? { ok: true as const, resource: valid } : parseResource(specimenSchema, 'Specimen', resource);
          if (!parsed.ok) {
            stats.specimens.withIssues += 1;
            out.push({ ref, issues: located(parsed.issues) });
            continue;
          }
          const keys = lookup.namesSpecimens ? resourceKeys('Specimen', parsed.resource.id, fullUrl) : NO_KEYS;
          const mapping = mapSpecimen(parsed.resource, lookup.context, keys, parsed.resource.id === undefined ? uuidOf(fullUrl) : undefined);
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
              const update = lookup.specimenOnlyDonor(donorId);
              if (update !== null) {
                stats.donors.updated += 1;
                out.push({ ref: `Patient/${donorId}`, donor: update });
              }
            }
            out.push({ ref, record: mapping.record, ...(mapping.linked ? { linked: mapping.linked } : {}) });
          }
        }
      }
      if (last) onBytes?.(offset + (sizes[f] as number), total);
      if (out.length > 0) yield out;
    },
  };
}

export type SpecimenMapper = ReturnType<typeof createSpecimenMapper>;

/** The chunks of every file's places, in order: at most `size` Specimens each, at least one chunk per file. */
export function specimenChunks(places: readonly SpecimenPlaces[], size: number): SpecimenChunk[] {
  const chunks: SpecimenChunk[] = [];
  places.forEach((filePlaces, file) => {
    if (filePlaces.size === 0) chunks.push({ file, from: 0, to: 0, last: true });
    for (let from = 0; from < filePlaces.size; from += size) {
      const to = Math.min(filePlaces.size, from + size);
      chunks.push({ file, from, to, last: to === filePlaces.size });
    }
  });
  return chunks;
}

/**
 * One export being read: its statistics and warnings, the first pass, and
 * (after it) the donor lookup of the second and the rows the end decides.
 */
export function createExportReading(files: readonly string[], options: FhirReaderOptions) {
  const stats = emptyStats();
  stats.files = files.length;
  const consentTable = options.consentTable ?? loadConsentTable();
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const warn = (warning: FhirWarning): void => {
    countWarning(stats, warning);
    options.onWarning?.(warning);
  };
  const index = createDonorIndex();
  const multiple = files.length > 1;
  const placeOf = (file: string, found: FoundResource, ref: string): Place => ({
    ref,
    where: multiple ? `${path.basename(file)} ${found.location}` : found.location,
  });
  let sources: SpecimenSources | undefined;

  return {
    stats,
    warn,
    /** The first pass over every file, then the donor updates it found, in batches. */
    async *donorRows(): AsyncGenerator<SourceRow[]> {
      if (files.length === 0) throw new BiospecError('INVALID_ARGUMENT', 'no FHIR file to import');
      const sizes = await Promise.all(files.map((file) => fileSize(file)));
      const total = 2 * sizes.reduce((a, b) => a + b, 0);
      let done = 0;
      let seen = 0;
      const places = files.map(() => new SpecimenPlaces());
      for (const [i, file] of files.entries()) {
        const offset = done;
        const onBundle = (type: string): void => increment(stats.bundles, type);
        // Specimens wait for the second pass, except those a `urn:` full URL names (a parent reference may use it).
        const select = (type: string | undefined, fullUrl: () => string | undefined) => type !== 'Specimen' || (fullUrl()?.startsWith('urn:') ?? false);
        const before = seen;
        const consent = { table: consentTable, today };
        const visit = (found: FoundResource): void => {
          seen += 1;
          indexResource(file, found, index, stats, placeOf, consent, warn);
        };
        await visitResources(file, visit, { onBytes: (read) => options.onBytes?.(offset + read, total), onBundle, select, places: places[i] as SpecimenPlaces });
        if (seen === before && Object.keys(stats.bundles).length === 0) throw new BiospecError('INVALID_DATA', `no FHIR resource found in ${file}`);
        done += sizes[i] as number;
      }
      sources = { files: [...files], places, sizes };
      index.finish();
      for (const duplicate of index.duplicates()) {
        warn({ kind: 'duplicate id', ref: duplicate.ref, message: `appears twice: at ${duplicate.first} and at ${duplicate.again}` });
      }
      let out: SourceRow[] = [];
      for (const update of index.donorUpdates()) {
        stats.donors.updated += 1;
        out.push({ ref: `Patient/${update.donor_id}`, donor: update });
        if (out.length === BATCH_ROWS) {
          yield out;
          out = [];
        }
      }
      if (out.length > 0) yield out;
    },
    /** After the first pass: where the Specimens are. */
    sources(): SpecimenSources {
      if (sources === undefined) throw new BiospecError('INTERNAL', 'the second pass of a FHIR export started before the first ended');
      return sources;
    },
    /** After the first pass: the donor index as plain data, for another reading thread. */
    lookupData: () => index.lookupData(),
    /** After the first pass: the second pass's view of the donors. */
    lookup: (): SpecimenLookup => specimenLookup(index.lookupData(), options.defaultCollection ?? 'default'),
    /**
     * After the second pass: the problems of donor-level resources that block (as rows), those
     * that do not (as warnings), given every donor with a mapped Specimen and the Specimens counted.
     */
    endRows(donorsWithSpecimens: ReadonlySet<string>, anySpecimen: boolean): SourceRow[] {
      const out: SourceRow[] = [];
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
      return out;
    },
  };
}

export type ExportReading = ReturnType<typeof createExportReading>;

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

/** The fast check's answer when it is sure, else zod's (which words the issues). */
function validated<T>(fast: T | null, schema: Parameters<typeof parseResource<T>>[0], type: string, resource: unknown): ReturnType<typeof parseResource<T>> {
  return fast !== null ? { ok: true, resource: fast } : parseResource(schema, type, resource);
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
      const parsed = validated(fastPatient(resource), patientSchema, type, resource);
      if (!parsed.ok) return defer(parsed.issues, keys(typeof resource.id === 'string' ? resource.id : undefined)[0] ?? null);
      const mapped = mapPatient(parsed.resource, fallbackId);
      if (mapped.facts === null) return defer(mapped.issues, keys(parsed.resource.id)[0] ?? null);
      const identifiers = (parsed.resource.identifier ?? []).map((i) => identifierKey(i)).filter((k): k is string => k !== undefined);
      index.addPatient(keys(parsed.resource.id), identifiers, mapped.facts, place);
      return;
    }
    case 'Condition': {
      index.sawConditions();
      const parsed = validated(fastCondition(resource), conditionSchema, type, resource);
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
      const parsed = validated(fastConsent(resource), consentSchema, type, resource);
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
      const parsed = validated(fastOrganization(resource), organizationSchema, 'Organization', resource);
      if (!parsed.ok) return defer(parsed.issues, null, 'other');
      const organization = parsed.resource;
      const directoryId = organization.identifier?.find((i) => i.system === SYSTEMS.bbmriEric)?.value;
      const collectionId = directoryId ?? organization.id ?? fallbackId;
      if (collectionId !== undefined) index.addOrganization(keys(organization.id), collectionId, place);
      return;
    }
  }
}
