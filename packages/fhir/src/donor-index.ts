import type { DonorFacts as DonorUpdate, SourceRow } from '@biospec/query';
import type { LocatedIssue } from './fhir-model.js';
import type { ConditionFacts, ConsentFacts, PatientFacts } from './map-donor.js';
import type { DonorFacts, SpecimenContext } from './map-specimen.js';
import { referenceTarget } from './references.js';

/** Where a resource was read: its reference and its place in the files. */
export interface Place {
  ref: string;
  /** `export.json entry[12]`, `patients.ndjson resource[3]`. */
  where: string;
}

/** A problem of a donor-level resource, held until the end of the import decides whether it blocks. */
export interface DeferredProblem {
  place: Place;
  /** The subject it concerns (`Patient/x`, a `urn:` or `identifier:` key), when it names one. */
  subjectKey: string | null;
  /** `donor`: a Patient, Condition or Consent; `other`: anything no specimen's values depend on. */
  kind: 'donor' | 'other';
  issues: LocatedIssue[];
}

/**
 * The compact facts the first pass keeps about donors, conditions,
 * collections and specimen URLs, keyed by every reference form they can be
 * reached by. Its size grows with the number of donors and conditions, never
 * with the number of specimens or the size of the files.
 */
export interface DonorIndex {
  addPatient(keys: readonly string[], identifiers: readonly string[], facts: PatientFacts, place: Place): void;
  addCondition(keys: readonly string[], facts: ConditionFacts, place: Place): void;
  addConsent(facts: ConsentFacts, place: Place): void;
  /** The import has Conditions (even ignored ones): every donor it names gets its Condition list replaced. */
  sawConditions(): void;
  /** The import has Consents: every donor it names gets its consent replaced. */
  sawConsents(): void;
  addOrganization(keys: readonly string[], collectionId: string, place: Place): void;
  /** Remembers which Specimen id a `urn:` full URL stands for, so parent references in that form resolve. */
  addSpecimenUrl(urn: string, id: string): void;
  /** A problem of a donor-level resource; whether it blocks is decided when the specimens are known. */
  defer(problem: DeferredProblem): void;
  /** Duplicate ids seen, with both places. */
  duplicates(): { ref: string; first: string; again: string }[];
  /** Joins conditions and consents to their patients; unresolvable subjects become deferred problems. */
  finish(): void;
  /** The donor updates the import states, one per donor it names; handed out once (the index then keeps only their ids). */
  donorUpdates(): DonorUpdate[];
  /** A donor update for a donor only a Specimen names, when the import carries Conditions or Consents; else null. */
  specimenOnlyDonor(donorId: string): DonorUpdate | null;
  context(defaultCollection: string): SpecimenContext;
  /** After {@link finish}: what the second pass reads, as plain data another thread can be handed (the index's own maps, not copies). */
  lookupData(): SpecimenLookupData;
  /** Whether any Condition's evidence names a specimen (else specimens need not be looked up by their keys). */
  namesSpecimens(): boolean;
  /** Problems that block: those of donors with a specimen in the import (or all, for an import without specimens). */
  blockingProblems(donorsWithSpecimens: ReadonlySet<string>, anySpecimen: boolean): SourceRow[];
  /** Problems of resources no imported specimen depends on: reported, never blocking. */
  unrelatedProblems(donorsWithSpecimens: ReadonlySet<string>, anySpecimen: boolean): DeferredProblem[];
}

/**
 * What the second pass needs of the donor index: plain maps and sets, so it
 * can be handed to another reading thread (a structured clone keeps the donor
 * facts several keys share shared).
 */
export interface SpecimenLookupData {
  donors: Map<string, DonorFacts>;
  byIdentifier: Map<string, string>;
  conditions: Map<string, readonly string[]>;
  specimenConditions: Map<string, string[]>;
  collections: Map<string, string>;
  specimenUrls: Map<string, string>;
  /** Donors whose update was handed out (grows as Specimens name donors the import updates only so). */
  updated: Set<string>;
  carriesConditions: boolean;
  carriesConsents: boolean;
}

/** The second pass's view of the donors. */
export interface SpecimenLookup {
  context: SpecimenContext;
  /** Whether any Condition's evidence names a specimen (else specimens need not be looked up by their keys). */
  namesSpecimens: boolean;
  /** A donor update for a donor only a Specimen names, when the import carries Conditions or Consents; else null. Once per donor. */
  specimenOnlyDonor(donorId: string): DonorUpdate | null;
}

export function specimenLookup(data: SpecimenLookupData, defaultCollection: string): SpecimenLookup {
  const { donors, byIdentifier, conditions, specimenConditions, collections, specimenUrls, updated, carriesConditions, carriesConsents } = data;
  return {
    context: {
      donor: (key) => donors.get(key) ?? (key.startsWith('identifier:') ? donors.get(byIdentifier.get(key) ?? '') : undefined),
      condition: (key) => conditions.get(key),
      specimenConditions(keys) {
        const codes: string[] = [];
        for (const key of keys) for (const code of specimenConditions.get(key) ?? []) if (!codes.includes(code)) codes.push(code);
        return codes;
      },
      collection: (key) => collections.get(key),
      patientByIdentifier: (key) => byIdentifier.get(key),
      specimenId: (key) => specimenUrls.get(key),
      defaultCollection,
    },
    namesSpecimens: specimenConditions.size > 0,
    specimenOnlyDonor(donorId) {
      if (updated.has(donorId) || (!carriesConditions && !carriesConsents)) return null;
      updated.add(donorId);
      return { donor_id: donorId, ...(carriesConditions ? { conditions: [] } : {}), ...(carriesConsents ? { consent: [] } : {}) };
    },
  };
}

interface Pending {
  ref: string;
  codes: readonly string[];
}

export function createDonorIndex(): DonorIndex {
  const patients = new Map<string, { facts: PatientFacts; keys: readonly string[]; place: Place }>();
  const byIdentifier = new Map<string, string>();
  const donorConditions = new Map<string, Pending[]>();
  const donorConsents = new Map<string, Pending[]>();
  const conditions = new Map<string, readonly string[]>();
  const specimenConditions = new Map<string, string[]>();
  const collections = new Map<string, string>();
  const specimenUrls = new Map<string, string>();
  const donors = new Map<string, DonorFacts>();
  const updates = new Map<string, DonorUpdate>();
  /** Donors whose update was handed out. */
  const updated = new Set<string>();
  /** Where each Patient and Organization id was first read (`where` only), to report a duplicate with both places. */
  const seen = new Map<string, string>();
  const duplicates: { ref: string; first: string; again: string }[] = [];
  const deferred: DeferredProblem[] = [];
  let carriesConditions = false;
  let carriesConsents = false;

  const data = (): SpecimenLookupData => ({
    donors,
    byIdentifier,
    conditions,
    specimenConditions,
    collections,
    specimenUrls,
    updated,
    carriesConditions,
    carriesConsents,
  });

  const push = (map: Map<string, Pending[]>, key: string, pending: Pending): void => {
    const list = map.get(key);
    if (list) list.push(pending);
    else map.set(key, [pending]);
  };

  const collect = (map: Map<string, Pending[]>, keys: readonly string[]): string[] => {
    const codes: string[] = [];
    for (const key of keys) {
      for (const pending of map.get(key) ?? []) for (const code of pending.codes) if (!codes.includes(code)) codes.push(code);
      map.delete(key);
    }
    return codes;
  };

  /** Records a resource id; a second sighting is a duplicate reported with both places. */
  const once = (keys: readonly string[], place: Place): boolean => {
    const key = keys[0];
    if (key === undefined) return true;
    const first = seen.get(key);
    if (first !== undefined) {
      duplicates.push({ ref: place.ref, first, again: place.where });
      return false;
    }
    seen.set(key, place.where);
    return true;
  };

  const donorIdOf = (key: string): string | null => {
    const patientKey = key.startsWith('identifier:') ? byIdentifier.get(key) : key;
    if (patientKey === undefined) return null;
    const known = donors.get(patientKey) ?? (patients.get(patientKey) ? { donorId: patients.get(patientKey)!.facts.donorId } : undefined);
    if (known) return known.donorId;
    const target = patientKey.startsWith('urn:') ? null : referenceTarget(patientKey);
    return target?.type === 'Patient' ? target.id : null;
  };

  const update = (donorId: string): DonorUpdate => {
    let found = updates.get(donorId);
    if (found === undefined) {
      found = { donor_id: donorId };
      updates.set(donorId, found);
    }
    return found;
  };

  return {
    addPatient(keys, identifiers, facts, place) {
      if (!once(keys, place)) {
        // The same Patient twice (a split export may repeat it) is only reported; two that disagree block.
        const first = seen.get(keys[0] as string) as string;
        const earlier = patients.get(keys[0] as string)?.facts;
        if (earlier !== undefined && (earlier.sex !== facts.sex || earlier.birthDate !== facts.birthDate)) {
          deferred.push({
            place,
            subjectKey: keys[0] ?? null,
            kind: 'donor',
            issues: [{ field: 'Patient', message: `${place.ref} appears twice with different gender or birthDate: at ${first} and at ${place.where}` }],
          });
        }
      }
      const entry = { facts, keys, place };
      for (const key of keys) patients.set(key, entry);
      for (const identifier of identifiers) byIdentifier.set(identifier, keys[0] as string);
    },
    addCondition(keys, facts, place) {
      // A Condition read twice (split exports overlap) adds the same codes again: harmless, not reported.
      for (const key of keys) conditions.set(key, facts.codes);
      push(donorConditions, facts.subjectKey, { ref: place.ref, codes: facts.codes });
      for (const key of facts.specimenKeys) {
        const list = specimenConditions.get(key) ?? [];
        for (const code of facts.codes) if (!list.includes(code)) list.push(code);
        specimenConditions.set(key, list);
      }
    },
    addConsent(facts, place) {
      push(donorConsents, facts.patientKey, { ref: place.ref, codes: facts.codes });
    },
    sawConditions() {
      carriesConditions = true;
    },
    sawConsents() {
      carriesConsents = true;
    },
    addOrganization(keys, collectionId, place) {
      once(keys, place);
      for (const key of keys) collections.set(key, collectionId);
    },
    addSpecimenUrl(urn, id) {
      specimenUrls.set(urn, id);
    },
    defer(problem) {
      deferred.push(problem);
    },
    duplicates: () => duplicates,
    finish() {
      // Conditions and consents naming a Patient by identifier: file them under the Patient's key.
      for (const map of [donorConditions, donorConsents]) {
        for (const [key, list] of [...map]) {
          const patientKey = key.startsWith('identifier:') ? byIdentifier.get(key) : undefined;
          if (patientKey === undefined) continue;
          map.delete(key);
          for (const pending of list) push(map, patientKey, pending);
        }
      }
      for (const { facts, keys } of new Set(patients.values())) {
        const donor: DonorFacts = { ...facts, conditions: collect(donorConditions, keys), consent: collect(donorConsents, keys) };
        for (const key of keys) donors.set(key, donor);
        const row = update(facts.donorId);
        row.sex = facts.sex;
        row.birth_date = facts.birthDate;
        if (carriesConditions) row.conditions = [...donor.conditions];
        if (carriesConsents) row.consent = [...donor.consent];
      }
      patients.clear();
      seen.clear();
      // Conditions and consents of a `Patient/x` that is not in the import still describe donor x.
      const subjects = new Set([...donorConditions.keys(), ...donorConsents.keys()]);
      for (const key of subjects) {
        const target = key.startsWith('urn:') || key.startsWith('identifier:') ? null : referenceTarget(key);
        if (target?.type === 'Patient') {
          const donor: DonorFacts = {
            donorId: target.id,
            sex: 'unknown',
            birthDate: null,
            conditions: collect(donorConditions, [key]),
            consent: collect(donorConsents, [key]),
          };
          donors.set(key, donor);
          const row = update(target.id);
          if (carriesConditions) row.conditions = [...donor.conditions];
          if (carriesConsents) row.consent = [...donor.consent];
          continue;
        }
        for (const [map, field] of [
          [donorConditions, 'Condition.subject'],
          [donorConsents, 'Consent.patient'],
        ] as const) {
          for (const { ref } of map.get(key) ?? []) {
            deferred.push({ place: { ref, where: ref }, subjectKey: null, kind: 'donor', issues: [{ field, message: `'${key.replace(/^identifier:/, 'identifier ')}' does not resolve to a Patient in the import` }] });
          }
        }
      }
      donorConditions.clear();
      donorConsents.clear();
    },
    donorUpdates() {
      const all = [...updates.values()];
      for (const id of updates.keys()) updated.add(id);
      updates.clear();
      return all;
    },
    specimenOnlyDonor: (donorId) => specimenLookup(data(), '').specimenOnlyDonor(donorId),
    context: (defaultCollection) => specimenLookup(data(), defaultCollection).context,
    lookupData: data,
    namesSpecimens: () => specimenConditions.size > 0,
    blockingProblems(donorsWithSpecimens, anySpecimen) {
      return deferred
        .filter((problem) => blocks(problem, donorsWithSpecimens, anySpecimen))
        .map(({ place, issues }) => ({ ref: place.ref, issues: issues.map((issue) => ({ ...issue, message: `${issue.message} (${place.where})` })) }));
    },
    unrelatedProblems(donorsWithSpecimens, anySpecimen) {
      return deferred.filter((problem) => !blocks(problem, donorsWithSpecimens, anySpecimen));
    },
  };

  function blocks(problem: DeferredProblem, donorsWithSpecimens: ReadonlySet<string>, anySpecimen: boolean): boolean {
    if (problem.kind === 'other') return false;
    if (!anySpecimen) return true;
    if (problem.subjectKey === null) return false;
    const donorId = donorIdOf(problem.subjectKey);
    return donorId !== null && donorsWithSpecimens.has(donorId);
  }
}
