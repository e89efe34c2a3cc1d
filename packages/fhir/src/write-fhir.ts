import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { BiospecError } from '@biospec/protocol';
import type { SpecimenRecord } from '@biospec/query';
import { MATERIAL_TYPE_TO_BBMRI, STORAGE_TEMPERATURE_TO_BBMRI } from './map-specimen.js';
import { ageInYears, birthDateRange } from './partial-dates.js';
import { EXTENSIONS, FHIR_ID, PROFILES, SYSTEMS } from './systems.js';

/** A FHIR resource as written: plain JSON. */
export type FhirResource = { resourceType: string; id: string } & Record<string, unknown>;

/** Bundle types the writer produces. */
export type FhirBundleType = 'collection' | 'transaction';

export interface FhirBundle {
  resourceType: 'Bundle';
  type: FhirBundleType;
  entry: { resource: FhirResource; request?: { method: 'PUT'; url: string } }[];
}

/**
 * Records to write. The writer reads them twice (donors first, so a Patient's
 * birth date fits all its specimens), so pass something that can be iterated
 * again: an array, or a function returning a fresh (async) iterable.
 */
export type RecordSource =
  | Iterable<SpecimenRecord>
  | AsyncIterable<SpecimenRecord>
  | (() => Iterable<SpecimenRecord> | AsyncIterable<SpecimenRecord>);

interface DonorPlan {
  donorId: string;
  sex: SpecimenRecord['sex'];
  consent: readonly string[];
  /**
   * The diagnoses every record of the donor has: written as the donor's
   * Conditions, so that a reader adding a donor's Conditions to each
   * specimen's own diagnoses (docs/QUERY.md) gives back every record's list.
   */
  diagnosis: string[];
  /** Birth dates consistent with every (collected_on, age) seen so far, or null once none is. */
  range: { from: string; to: string } | null;
  firstRange: { from: string; to: string } | null;
  birthDate: string | null;
}

/**
 * Donor-level facts gathered from all records, then the resources: one
 * Organization per collection, one Patient per donor (with a birth date that
 * reproduces every age_at_collection where one date can), one Condition per
 * diagnosis all the donor's records share, one Consent per donor with DUO
 * provisions, one Specimen per record with the bbmri.de extensions (its
 * diagnoses as SampleDiagnosis).
 */
function createBundlePlan() {
  const donors = new Map<string, DonorPlan>();
  const collections = new Set<string>();

  const add = (record: SpecimenRecord): void => {
    for (const [field, id] of [
      ['sample_id', record.sample_id],
      ['donor_id', record.donor_id],
      ['parent_sample_id', record.parent_sample_id],
    ] as const) {
      if (id !== null && !FHIR_ID.test(id)) {
        throw new BiospecError('INVALID_ARGUMENT', `${field} '${id}' of sample '${record.sample_id}' is not a FHIR id (letters, digits, '-', '.'; at most 64)`);
      }
    }
    collections.add(record.collection_id);
    let donor = donors.get(record.donor_id);
    if (donor === undefined) {
      donor = { donorId: record.donor_id, sex: record.sex, consent: record.consent, diagnosis: [...record.diagnosis], range: null, firstRange: null, birthDate: null };
      donors.set(record.donor_id, donor);
    } else if (donor.sex !== record.sex || donor.consent.join(';') !== record.consent.join(';')) {
      throw new BiospecError('INVALID_ARGUMENT', `donor '${record.donor_id}': sample '${record.sample_id}' disagrees with the donor's other samples on sex or consent, which FHIR holds once per Patient`);
    }
    donor.diagnosis = donor.diagnosis.filter((code) => record.diagnosis.includes(code));
    const range = record.collected_on !== null && record.age_at_collection !== null ? birthDateRange(record.collected_on, record.age_at_collection) : null;
    if (range === null) return;
    if (donor.firstRange === null) {
      donor.firstRange = range;
      donor.range = range;
    } else if (donor.range !== null) {
      const from = range.from > donor.range.from ? range.from : donor.range.from;
      const to = range.to < donor.range.to ? range.to : donor.range.to;
      donor.range = from <= to ? { from, to } : null;
    }
    // Inconsistent ages: the first sample's birth date, and an age extension on the samples it does not fit.
    donor.birthDate = (donor.range ?? donor.firstRange).from;
  };

  const donorResources = (): FhirResource[] => {
    const resources: FhirResource[] = [];
    for (const collection of collections) resources.push(organization(collection));
    for (const donor of donors.values()) {
      resources.push({
        resourceType: 'Patient',
        id: donor.donorId,
        meta: { profile: [PROFILES.patient] },
        gender: donor.sex,
        ...(donor.birthDate !== null ? { birthDate: donor.birthDate } : {}),
      });
      donor.diagnosis.forEach((code, i) => {
        resources.push({
          resourceType: 'Condition',
          id: derivedId(donor.donorId, `dx${i + 1}`),
          meta: { profile: [PROFILES.condition] },
          code: { coding: [{ system: SYSTEMS.icd10, code }] },
          subject: { reference: `Patient/${donor.donorId}` },
        });
      });
      if (donor.consent.length > 0) resources.push(consent(donor));
    }
    return resources;
  };

  const specimenResource = (record: SpecimenRecord): FhirResource => {
    const donor = donors.get(record.donor_id);
    if (donor === undefined) throw new BiospecError('INVALID_ARGUMENT', `sample '${record.sample_id}' was not in the first reading of the records`);
    return specimen(record, donor);
  };

  return { add, donorResources, specimenResource };
}

function organization(collection: string): FhirResource {
  return {
    resourceType: 'Organization',
    id: organizationId(collection),
    meta: { profile: [PROFILES.collection] },
    identifier: [{ system: SYSTEMS.bbmriEric, value: collection }],
    name: collection,
  };
}

function consent(donor: DonorPlan): FhirResource {
  return {
    resourceType: 'Consent',
    id: derivedId(donor.donorId, 'consent'),
    status: 'active',
    scope: { coding: [{ system: SYSTEMS.consentScope, code: 'research' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: `Patient/${donor.donorId}` },
    policyRule: { text: 'Data use permitted as coded in the provision with the GA4GH Data Use Ontology (DUO)' },
    provision: { type: 'permit', code: donor.consent.map((code) => ({ coding: [{ system: SYSTEMS.duo, code }] })) },
  };
}

function specimen(record: SpecimenRecord, donor: DonorPlan): FhirResource {
  // Every diagnosis of the record as the specimen's own, the donor's shared ones included, so the order (primary first) survives.
  const extension: Record<string, unknown>[] = [
    { url: EXTENSIONS.custodian, valueReference: { reference: `Organization/${organizationId(record.collection_id)}` } },
    {
      url: EXTENSIONS.storageTemperature,
      valueCodeableConcept: { coding: [{ system: SYSTEMS.storageTemperature, code: STORAGE_TEMPERATURE_TO_BBMRI[record.storage_temperature] }] },
    },
  ];
  for (const code of record.diagnosis) {
    extension.push({ url: EXTENSIONS.sampleDiagnosis, valueCodeableConcept: { coding: [{ system: SYSTEMS.icd10, code }] } });
  }
  if (record.status === 'reserved' || record.status === 'withdrawn') extension.push({ url: EXTENSIONS.specimenStatus, valueCode: record.status });
  const derivedAge = donor.birthDate !== null && record.collected_on !== null ? ageInYears(donor.birthDate, record.collected_on) : null;
  if (derivedAge !== record.age_at_collection) {
    extension.push(
      record.age_at_collection === null
        ? { url: EXTENSIONS.ageAtCollection, valueCode: 'unknown' }
        : { url: EXTENSIONS.ageAtCollection, valueInteger: record.age_at_collection },
    );
  }
  const typeCoding: Record<string, string>[] = [{ system: SYSTEMS.sampleMaterialType, code: MATERIAL_TYPE_TO_BBMRI[record.material_type] }];
  if (record.material_type === 'cell-line') typeCoding.unshift({ system: SYSTEMS.biospecMaterialType, code: record.material_type });
  const collection: Record<string, unknown> = {};
  if (record.collected_on !== null) collection.collectedDateTime = record.collected_on;
  if (record.anatomical_site !== null) collection.bodySite = { coding: [{ system: SYSTEMS.icdO3, code: record.anatomical_site }] };
  return {
    resourceType: 'Specimen',
    id: record.sample_id,
    meta: { profile: [PROFILES.specimen] },
    extension,
    status: record.status === 'available' || record.status === 'reserved' ? 'available' : 'unavailable',
    type: { coding: typeCoding },
    subject: { reference: `Patient/${record.donor_id}` },
    ...(record.parent_sample_id !== null ? { parent: [{ reference: `Specimen/${record.parent_sample_id}` }] } : {}),
    ...(Object.keys(collection).length > 0 ? { collection } : {}),
    container: [{ specimenQuantity: { value: record.quantity } }],
  };
}

/** A collection id as an Organization id: itself when it is a FHIR id, else a readable, unique substitute. */
function organizationId(collection: string): string {
  if (FHIR_ID.test(collection)) return collection;
  return `${collection.replace(/[^A-Za-z0-9\-.]/g, '-').slice(0, 47)}-${hash(collection)}`;
}

/** `base-suffix`, or a hash standing for it when that is longer than a FHIR id may be. */
function derivedId(base: string, suffix: string): string {
  const id = `${base}-${suffix}`;
  return FHIR_ID.test(id) ? id : `${hash(base)}-${suffix}`;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function entry(resource: FhirResource, type: FhirBundleType): FhirBundle['entry'][number] {
  return type === 'transaction' ? { resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } } : { resource };
}

/** Records as a bbmri.de-style Bundle held in memory; for files of any size use {@link writeFhirBundle}. */
export function toFhirBundle(records: Iterable<SpecimenRecord>, options: { type?: FhirBundleType } = {}): FhirBundle {
  const type = options.type ?? 'collection';
  const all = [...records];
  const plan = createBundlePlan();
  for (const record of all) plan.add(record);
  const resources = [...plan.donorResources(), ...all.map((record) => plan.specimenResource(record))];
  return { resourceType: 'Bundle', type, entry: resources.map((resource) => entry(resource, type)) };
}

function reread(records: RecordSource): () => Iterable<SpecimenRecord> | AsyncIterable<SpecimenRecord> {
  if (typeof records === 'function') return records;
  const iterator = Symbol.iterator in records ? records[Symbol.iterator]() : records[Symbol.asyncIterator]();
  if ((iterator as unknown) === records) {
    throw new BiospecError('INVALID_ARGUMENT', 'records are read twice: pass an array or a function returning a fresh iterable, not a one-shot iterator');
  }
  return () => records;
}

/** Appends text to a file stream, waiting when its buffer is full. */
function createFileSink(path: string) {
  const stream = createWriteStream(path);
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => undefined);
  let buffered = '';
  const flush = async (): Promise<void> => {
    if (buffered.length === 0) return;
    const ok = stream.write(buffered);
    buffered = '';
    if (!ok) await Promise.race([once(stream, 'drain'), failed]);
  };
  return {
    async write(text: string): Promise<void> {
      buffered += text;
      if (buffered.length >= 1 << 16) await flush();
    },
    async close(): Promise<void> {
      await flush();
      stream.end();
      await Promise.race([once(stream, 'finish'), failed]);
    },
  };
}

/** Shared by both writers: donor resources, then one Specimen per record, each handed to `emit`. */
async function writeResources(records: RecordSource, emit: (resource: FhirResource) => Promise<void>): Promise<number> {
  const source = reread(records);
  const plan = createBundlePlan();
  for await (const record of source()) plan.add(record);
  let count = 0;
  for (const resource of plan.donorResources()) {
    await emit(resource);
    count += 1;
  }
  for await (const record of source()) {
    await emit(plan.specimenResource(record));
    count += 1;
  }
  return count;
}

/**
 * Streams records into a bbmri.de-style Bundle file without holding the
 * bundle in memory (only per-donor facts). Returns the number of resources written.
 */
export async function writeFhirBundle(records: RecordSource, path: string, options: { type?: FhirBundleType } = {}): Promise<number> {
  const type = options.type ?? 'collection';
  const sink = createFileSink(path);
  await sink.write(`{"resourceType":"Bundle","type":"${type}","entry":[`);
  let first = true;
  const count = await writeResources(records, async (resource) => {
    await sink.write(`${first ? '\n' : ',\n'}${JSON.stringify(entry(resource, type))}`);
    first = false;
  });
  await sink.write('\n]}\n');
  await sink.close();
  return count;
}

/** Streams records into an NDJSON file, one resource per line. Returns the number of resources written. */
export async function writeFhirNdjson(records: RecordSource, path: string): Promise<number> {
  const sink = createFileSink(path);
  const count = await writeResources(records, (resource) => sink.write(`${JSON.stringify(resource)}\n`));
  await sink.close();
  return count;
}
