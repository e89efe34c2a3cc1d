/**
 * The column path of source rows (`@biospec/query` row batches, as the FHIR
 * reader hands them over): each distinct value is checked and coded once,
 * and a linked specimen's donor-level fields are worked out once per donor,
 * instead of once per row. A row this path is not sure of (a value that fails
 * a check, a row kept whole) goes through the row importer itself, so every
 * row is counted, checked, worded and coded exactly as on the row path, codes
 * given in the same order included.
 */
import {
  ABSENT,
  ROW_SLOT,
  ROW_SLOTS,
  SEXES,
  ageInYears,
  createRowBatchDecoder,
  linkedDiagnosis,
  type ListField,
  type RowBatchDecoder,
  type SourceRow,
  type SourceRowBatch,
  type TextField,
} from '@biospec/query/model';
import { WITHDRAWN_CODE, type Codebook, type CodeKind } from './codebook.js';
import type { DonorLinks } from './donor-links.js';
import { daySpan, diagnosisEntry, type DiagnosisEntry, type RowImporter } from './row-importer.js';
import { locate } from './issue-log.js';
import {
  checkAnatomicalSite,
  checkCollectedOn,
  checkConsentCode,
  checkDiagnosisCode,
  checkMaterialType,
  checkQuantity,
  checkRequiredId,
  checkSex,
  checkStatus,
  checkStorageTemperature,
  MAX_AGE,
} from './specimen-rules.js';
import type { createSpecimenWriter, StoredValue } from './specimen-writer.js';

type Writer = ReturnType<typeof createSpecimenWriter>;

const SEX_SET = new Set<string>(SEXES);

/** One dictionary value: whether it passes its check, and its catalogue code once a written row needed it. */
interface TextEntry {
  value: string;
  ok: boolean;
  code: number | undefined;
}

interface ListEntry {
  list: string[];
  ok: boolean;
  /** `;`-joined, as the catalogue stores lists. */
  joined: string;
}

/** What a linked row's donor decides, worked out at the donor's first row (the rows come grouped by donor). */
interface DonorView {
  donorId: string;
  row: ReturnType<DonorLinks['donorRow']>;
  /** Stored sex code when the donor's sex overrides the row's. */
  sex: number | undefined;
  conditions: string[] | null;
  consent: { code: number; mask: number } | undefined;
  /** Diagnosis entries by own-diagnosis list (and the row's diagnosis list when the donor states no conditions). */
  diagnoses: Map<number | string, DiagnosisEntry>;
  /** Ages by collection date, when the donor's birth date decides them. */
  ages: Map<number, number | null>;
}

const TEXT_CHECKS: Record<TextField, (value: string) => string | null> = {
  collection_id: (value) => checkRequiredId(value, 'collection_id'),
  material_type: checkMaterialType,
  collected_on: checkCollectedOn,
  anatomical_site: checkAnatomicalSite,
  sex: checkSex,
  storage_temperature: checkStorageTemperature,
  status: checkStatus,
};
const LIST_CHECKS: Record<ListField, (code: string) => string | null> = {
  diagnosis: checkDiagnosisCode,
  consent: checkConsentCode,
  own_diagnosis: () => null,
};
const CODE_KINDS: Partial<Record<TextField, CodeKind>> = {
  collection_id: 'collection',
  material_type: 'material_type',
  anatomical_site: 'anatomical_site',
  sex: 'sex',
  storage_temperature: 'storage_temperature',
  status: 'status',
};

export async function importRowBatches(
  batches: AsyncIterable<SourceRowBatch>,
  importer: RowImporter,
  codes: Codebook,
  writer: Writer,
  links: DonorLinks,
): Promise<number> {
  // Each stream (encoder) of batches has dictionaries of its own, so its own entries here.
  const streams = new Map<number, StreamEntries>();
  let stream: StreamEntries = newStream();
  let streamId: number | undefined;
  const derived = importer.derived;

  const text = (field: TextField, id: number): TextEntry => {
    let entries = stream.texts.get(field);
    if (entries === undefined) stream.texts.set(field, (entries = []));
    for (let next = entries.length; next <= id; next++) {
      const value = stream.decoder.dictionaries.texts[field][next] as string;
      entries.push({ value, ok: TEXT_CHECKS[field](value) === null, code: undefined });
    }
    return entries[id] as TextEntry;
  };
  const list = (field: ListField, id: number): ListEntry => {
    let entries = stream.lists.get(field);
    if (entries === undefined) stream.lists.set(field, (entries = []));
    for (let next = entries.length; next <= id; next++) {
      const value = stream.decoder.dictionaries.lists[field][next] as string[];
      const check = LIST_CHECKS[field];
      entries.push({ list: value, ok: value.every((code) => check(code) === null), joined: value.join(';') });
    }
    return entries[id] as ListEntry;
  };
  const code = (field: TextField, id: number): number => {
    const entry = text(field, id);
    entry.code ??= codes.ensure(CODE_KINDS[field] as CodeKind, entry.value);
    return entry.code;
  };
  const diagnosisOf = (list: readonly string[]): DiagnosisEntry => {
    const key = list.join(';');
    let entry = importer.diagnoses.get(key);
    if (entry === undefined) {
      entry = diagnosisEntry(codes, list);
      importer.diagnoses.set(key, entry);
    }
    return entry;
  };
  const consentOf = (joined: string, list: readonly string[]): { code: number; mask: number } => {
    const consentCode = codes.ensure('consent', joined);
    return { code: consentCode, mask: derived.mask(consentCode, list) };
  };

  let donor: DonorView | null = null;
  const viewOf = (donorId: string): DonorView => {
    if (donor?.donorId === donorId) return donor;
    const row = links.donorRow(donorId);
    donor = {
      donorId,
      row,
      sex: undefined,
      conditions: row === undefined || row.conditions === null ? null : split(row.conditions),
      consent: undefined,
      diagnoses: new Map(),
      ages: new Map(),
    };
    return donor;
  };

  // Rows whose reference is their sample id behind one prefix (`Specimen/` + id, as FHIR names them) are
  // worded by the writer from the id alone, so a fresh import can build its sample index once at the end.
  let prefix: string | null = null;
  writer.wordDuplicates((sampleId, _line, first) =>
    locate(undefined, `${prefix}${sampleId}`, importer.read, [{ field: 'sample_id', message: `duplicate sample_id '${sampleId}' (first on row ${first})` }]),
  );
  const own: StoredValue[] = new Array(14);
  const values = { own, mask: 0, ageBand: 0, chapter: 0, diagnosisCodes: [] as readonly number[] };

  for await (const batch of batches) {
    if (batch.stream !== streamId) {
      streamId = batch.stream;
      stream = streams.get(streamId) ?? newStream();
      streams.set(streamId, stream);
      // Its caches are keyed by dictionary ids, which are the stream's own.
      donor = null;
    }
    const { decoder, spans, consents } = stream;
    decoder.absorb(batch);
    const { ints, quantity, sampleIds, donorIds, parentIds, refs } = batch;
    let other = 0;
    for (let i = 0; i < batch.size; i++) {
      if (!decoder.inColumns(batch, i)) {
        // A donor update may change what the donor decides.
        donor = null;
        importer.add(batch.others[other++] as SourceRow);
        continue;
      }
      const base = i * ROW_SLOTS;
      const sampleId = sampleIds[i] as string;
      const donorId = donorIds[i] as string;
      const parent = parentIds[i] as string | null;
      const collected = ints[base + ROW_SLOT.collected_on] as number;
      const site = ints[base + ROW_SLOT.anatomical_site] as number;
      const age = ints[base + ROW_SLOT.age] as number;
      const amount = quantity[i] as number;
      const clean =
        sampleId !== '' &&
        donorId !== '' &&
        text('collection_id', ints[base + ROW_SLOT.collection_id] as number).ok &&
        text('material_type', ints[base + ROW_SLOT.material_type] as number).ok &&
        text('sex', ints[base + ROW_SLOT.sex] as number).ok &&
        text('storage_temperature', ints[base + ROW_SLOT.storage_temperature] as number).ok &&
        text('status', ints[base + ROW_SLOT.status] as number).ok &&
        (collected === ABSENT || text('collected_on', collected).ok) &&
        list('diagnosis', ints[base + ROW_SLOT.diagnosis] as number).ok &&
        (site === ABSENT || text('anatomical_site', site).ok) &&
        (age === ABSENT || age <= MAX_AGE) &&
        list('consent', ints[base + ROW_SLOT.consent] as number).ok &&
        checkQuantity(amount) === null &&
        (parent === null || (parent !== '' && parent !== sampleId));
      if (!clean) {
        // The row path words every issue of the row, in its order.
        importer.add(decoder.row(batch, i));
        continue;
      }
      const read = importer.next();
      const ref = refs[i] as string | null;
      const diagnosisId = ints[base + ROW_SLOT.diagnosis] as number;
      const consentId = ints[base + ROW_SLOT.consent] as number;
      const ownId = ints[base + ROW_SLOT.own_diagnosis] as number;

      // The record as the donor's facts make it (donor-links.ts apply), then coded as encodeRecord does, in its order.
      let diagnosis: DiagnosisEntry;
      let consent: { code: number; mask: number };
      let sexCode: number | undefined;
      let storedAge: number | null = age === ABSENT ? null : age;
      if (ownId === ABSENT) {
        links.unlink(sampleId);
        diagnosis = diagnosisOf(list('diagnosis', diagnosisId).list);
        consent = consents[consentId] ??= consentOf(list('consent', consentId).joined, list('consent', consentId).list);
      } else {
        const ownList = list('own_diagnosis', ownId);
        const view = viewOf(donorId);
        const stated = ints[base + ROW_SLOT.age_stated] === 1;
        if (view.row === undefined) {
          diagnosis = cached(view.diagnoses, pairKey(ownId, diagnosisId), () => diagnosisOf(linkedDiagnosis(ownList.list, list('diagnosis', diagnosisId).list)));
          consent = consents[consentId] ??= consentOf(list('consent', consentId).joined, list('consent', consentId).list);
        } else {
          const donorRow = view.row;
          if (!stated && donorRow.birth_date_stated === 1) {
            storedAge =
              donorRow.birth_date === null || collected === ABSENT
                ? null
                : cached(view.ages, collected, () => ageInYears(donorRow.birth_date as string, text('collected_on', collected).value));
          }
          diagnosis =
            view.conditions === null
              ? cached(view.diagnoses, pairKey(ownId, diagnosisId), () => diagnosisOf(linkedDiagnosis(ownList.list, list('diagnosis', diagnosisId).list)))
              : cached(view.diagnoses, ownId, () => diagnosisOf(linkedDiagnosis(ownList.list, view.conditions as string[])));
          if (donorRow.consent === null) consent = consents[consentId] ??= consentOf(list('consent', consentId).joined, list('consent', consentId).list);
          else consent = view.consent ??= consentOf(donorRow.consent, split(donorRow.consent));
          if (donorRow.sex !== null && SEX_SET.has(donorRow.sex)) sexCode = view.sex ??= codes.ensure('sex', donorRow.sex);
        }
        links.linkJoined(sampleId, ownList.joined, stated);
      }
      const span = collected === ABSENT ? NO_SPAN : (spans[collected] ??= daySpan(text('collected_on', collected).value));
      own[0] = donorId;
      own[1] = code('collection_id', ints[base + ROW_SLOT.collection_id] as number);
      own[2] = code('material_type', ints[base + ROW_SLOT.material_type] as number);
      own[3] = span[0];
      own[4] = span[1];
      own[5] = diagnosis.joined;
      own[6] = site === ABSENT ? null : code('anatomical_site', site);
      own[7] = sexCode ?? code('sex', ints[base + ROW_SLOT.sex] as number);
      own[8] = storedAge;
      own[9] = code('storage_temperature', ints[base + ROW_SLOT.storage_temperature] as number);
      own[10] = consent.code;
      // Consent withdrawal is final: an import cannot make a withdrawn donor's specimens available again.
      own[11] = writer.isWithdrawn(donorId) ? WITHDRAWN_CODE : code('status', ints[base + ROW_SLOT.status] as number);
      own[12] = amount;
      own[13] = parent;
      values.mask = consent.mask;
      values.ageBand = derived.ageBand(storedAge);
      values.chapter = diagnosis.chapter;
      values.diagnosisCodes = diagnosis.codes;
      if (ref !== null && prefix === null && ref.endsWith(sampleId)) prefix = ref.slice(0, ref.length - sampleId.length);
      if (ref !== null && prefix !== null && ref.length === prefix.length + sampleId.length && ref.startsWith(prefix) && ref.endsWith(sampleId)) {
        writer.add(sampleId, read, values);
      } else {
        writer.add(sampleId, read, values, (first) =>
          locate(undefined, ref ?? undefined, importer.read, [{ field: 'sample_id', message: `duplicate sample_id '${sampleId}' (first on row ${first})` }]),
        );
      }
    }
  }
  return importer.end();
}

/** A stream's decoder, and its dictionary entries as this path has checked and coded them. */
interface StreamEntries {
  decoder: RowBatchDecoder;
  texts: Map<TextField, TextEntry[]>;
  lists: Map<ListField, ListEntry[]>;
  spans: ([number | null, number | null] | undefined)[];
  consents: ({ code: number; mask: number } | undefined)[];
}

function newStream(): StreamEntries {
  return { decoder: createRowBatchDecoder(), texts: new Map(), lists: new Map(), spans: [], consents: [] };
}

/** One key for a pair of dictionary ids. */
function pairKey(a: number, b: number): number | string {
  return b < 2 ** 26 && a < 2 ** 26 ? a * 2 ** 26 + b : `${a},${b}`;
}

const NO_SPAN: [null, null] = [null, null];

const split = (joined: string): string[] => (joined === '' ? [] : joined.split(';'));

function cached<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  if (map.has(key)) return map.get(key) as V;
  const value = make();
  map.set(key, value);
  return value;
}
