/**
 * Donor-level facts and the specimens that follow them. A FHIR export states
 * a donor's sex, birth date, Conditions and consent once, on the donor; the
 * catalogue still stores them on every specimen row (counting reads only
 * `specimen` and `specimen_diagnosis`). This module keeps the donor's facts in
 * `donor`, what each linked specimen states itself in `specimen_link`, fills a
 * linked specimen's donor-level fields from its donor, and finds the stored
 * specimens of donors an import updated without listing them, so they are
 * recomputed in the same transaction.
 */
import type Database from 'better-sqlite3';
import {
  SEXES,
  ageInYears,
  linkedDiagnosis,
  type DonorFacts,
  type DonorLink,
  type Sex,
  type SpecimenRecord,
  type SpecimenStatus,
  type StorageTemperature,
  type MaterialType,
} from '@biospec/query/model';

interface DonorRow {
  sex: string | null;
  birth_date: string | null;
  birth_date_stated: number;
  conditions: string | null;
  consent: string | null;
}

const split = (joined: string | null): string[] => (joined === null || joined === '' ? [] : joined.split(';'));
const SEX_SET = new Set<string>(SEXES);

/** A stored specimen of an updated donor, recomputed from its donor's facts. */
export interface StaleSpecimen {
  id: number;
  record: SpecimenRecord;
}

/** Rows per multi-row statement of buffered donor and link writes. */
const WRITE_BATCH = 200;

export function createDonorLinks(db: Database.Database) {
  const hadLinks = db.prepare('SELECT 1 FROM specimen_link LIMIT 1').get() !== undefined;
  const selectDonor = db.prepare<[string], DonorRow>('SELECT sex, birth_date, birth_date_stated, conditions, consent FROM donor WHERE donor_id = ?');
  const upsertDonors = multiRow(
    db,
    'INSERT INTO donor (donor_id, sex, birth_date, birth_date_stated, conditions, consent) VALUES',
    6,
    `ON CONFLICT (donor_id) DO UPDATE SET
       sex = coalesce(excluded.sex, sex),
       birth_date = CASE WHEN excluded.birth_date_stated = 1 THEN excluded.birth_date ELSE birth_date END,
       birth_date_stated = max(birth_date_stated, excluded.birth_date_stated),
       conditions = coalesce(excluded.conditions, conditions),
       consent = coalesce(excluded.consent, consent)`,
  );
  const saveLinks = multiRow(
    db,
    'INSERT INTO specimen_link (sample_id, own_diagnosis, age_stated) VALUES',
    3,
    'ON CONFLICT (sample_id) DO UPDATE SET own_diagnosis = excluded.own_diagnosis, age_stated = excluded.age_stated',
  );
  const dropLink = db.prepare('DELETE FROM specimen_link WHERE sample_id = ?');
  const touched = new Set<string>();
  // Specimens come grouped by donor: the last donor read answers most lookups.
  let last: { donorId: string; row: DonorRow | undefined } | null = null;
  /** Donor upserts and link inserts not written yet; each statement's rows in order, as if run one by one. */
  const flush = (): void => {
    upsertDonors.flush();
    saveLinks.flush();
  };
  const donorRow = (donorId: string): DonorRow | undefined => {
    if (last?.donorId !== donorId) {
      upsertDonors.flush();
      last = { donorId, row: selectDonor.get(donorId) };
    }
    return last.row;
  };

  /** A linked specimen's donor-level fields from its donor's stored facts; what the donor never stated stays as the source gave it. */
  const apply = (record: SpecimenRecord, link: DonorLink): SpecimenRecord => {
    const donor = donorRow(record.donor_id);
    if (donor === undefined) return { ...record, diagnosis: linkedDiagnosis(link.own_diagnosis, record.diagnosis) };
    const conditions = donor.conditions === null ? record.diagnosis : split(donor.conditions);
    let age = record.age_at_collection;
    if (!link.age_stated && donor.birth_date_stated === 1) {
      age = donor.birth_date === null || record.collected_on === null ? null : ageInYears(donor.birth_date, record.collected_on);
    }
    return {
      ...record,
      sex: donor.sex !== null && SEX_SET.has(donor.sex) ? (donor.sex as Sex) : record.sex,
      age_at_collection: age,
      diagnosis: linkedDiagnosis(link.own_diagnosis, conditions),
      consent: donor.consent === null ? record.consent : split(donor.consent),
    };
  };

  return {
    /** Donors this import updated. */
    touched,
    /** Stores what an import states about a donor; unstated fields keep their stored values. */
    updateDonor(facts: DonorFacts): void {
      upsertDonors.add(
        facts.donor_id,
        facts.sex ?? null,
        facts.birth_date ?? null,
        facts.birth_date === undefined ? 0 : 1,
        facts.conditions === undefined ? null : facts.conditions.join(';'),
        facts.consent === undefined ? null : facts.consent.join(';'),
      );
      touched.add(facts.donor_id);
      if (last?.donorId === facts.donor_id) last = null;
    },
    apply,
    /** The donor's stored facts (this import's updates included), for a linked specimen; undefined for a donor never stored. */
    donorRow,
    /** Remembers what a linked specimen states itself. */
    link(sampleId: string, link: DonorLink): void {
      saveLinks.add(sampleId, link.own_diagnosis.join(';'), link.age_stated ? 1 : 0);
    },
    /** {@link link} with the own diagnoses already `;`-joined. */
    linkJoined(sampleId: string, ownDiagnosis: string, ageStated: boolean): void {
      saveLinks.add(sampleId, ownDiagnosis, ageStated ? 1 : 0);
    },
    /** A specimen imported with all its fields (CSV) no longer follows a donor. */
    unlink(sampleId: string): void {
      if (!hadLinks) return;
      saveLinks.flush();
      dropLink.run(sampleId);
    },
    /** Writes the buffered donor updates and links; the import calls it after its last row. */
    flush,
    /**
     * The stored linked specimens of the donors this import updated that
     * `listed` says the import did not list, recomputed from their donors.
     */
    *stale(listed: (id: number) => boolean): Generator<StaleSpecimen> {
      flush();
      if (touched.size === 0) return;
      const select = db.prepare(
        `SELECT s.id AS id, r.*, l.own_diagnosis AS own_diagnosis, l.age_stated AS age_stated
         FROM specimen s JOIN specimen_link l ON l.sample_id = s.sample_id JOIN specimen_record r ON r.sample_id = s.sample_id
         WHERE s.donor_id = ?`,
      );
      for (const donorId of touched) {
        const rows = select.all(donorId) as (StoredRecordRow & { id: number; own_diagnosis: string; age_stated: number })[];
        for (const row of rows) {
          if (listed(row.id)) continue;
          const stored = storedRecord(row);
          yield { id: row.id, record: apply(stored, { own_diagnosis: split(row.own_diagnosis), age_stated: row.age_stated === 1 }) };
        }
      }
    },
    /** After removals: links of specimens that are gone. */
    pruneLinks(): void {
      flush();
      db.exec('DELETE FROM specimen_link WHERE sample_id NOT IN (SELECT sample_id FROM specimen)');
    },
  };
}

interface StoredRecordRow {
  sample_id: string;
  donor_id: string;
  collection_id: string;
  material_type: string;
  collected_on: string | null;
  diagnosis: string | null;
  anatomical_site: string | null;
  sex: string;
  age_at_collection: number | null;
  storage_temperature: string;
  consent: string | null;
  status: string;
  quantity: number;
  parent_sample_id: string | null;
}

/** A row of the `specimen_record` view as a record. */
function storedRecord(row: StoredRecordRow): SpecimenRecord {
  return {
    sample_id: row.sample_id,
    donor_id: row.donor_id,
    collection_id: row.collection_id,
    material_type: row.material_type as MaterialType,
    collected_on: row.collected_on,
    diagnosis: split(row.diagnosis),
    anatomical_site: row.anatomical_site,
    sex: row.sex as Sex,
    age_at_collection: row.age_at_collection,
    storage_temperature: row.storage_temperature as StorageTemperature,
    consent: split(row.consent),
    status: row.status as SpecimenStatus,
    quantity: row.quantity,
    parent_sample_id: row.parent_sample_id,
  };
}

export type DonorLinks = ReturnType<typeof createDonorLinks>;

/**
 * An INSERT whose rows are buffered and written {@link WRITE_BATCH} at a time
 * in one multi-row statement (SQLite applies its rows, conflict clauses
 * included, in order, as separate statements would).
 */
function multiRow(db: Database.Database, head: string, width: number, tail: string) {
  const statements = new Map<number, Database.Statement>();
  const statement = (rows: number): Database.Statement => {
    let found = statements.get(rows);
    if (found === undefined) {
      const one = `(${new Array(width).fill('?').join(', ')})`;
      found = db.prepare(`${head} ${new Array(rows).fill(one).join(', ')} ${tail}`);
      statements.set(rows, found);
    }
    return found;
  };
  const params: (string | number | null)[] = [];
  const flush = (): void => {
    if (params.length === 0) return;
    statement(params.length / width).run(params);
    params.length = 0;
  };
  return {
    add(...values: (string | number | null)[]): void {
      for (const value of values) params.push(value);
      if (params.length === WRITE_BATCH * width) flush();
    },
    flush,
  };
}
