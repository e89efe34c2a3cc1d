import type { SourceRow } from '@biospec/query';
import type { ConditionFacts, ConsentFacts, PatientFacts } from './map-donor.js';
import type { DonorFacts, SpecimenContext } from './map-specimen.js';
import { referenceTarget } from './references.js';

/**
 * The compact facts the first pass keeps about donors, conditions,
 * collections and specimen URLs, keyed by every reference form they can be
 * reached by. Its size grows with the number of donors and conditions, never
 * with the size of the file.
 */
export interface DonorIndex {
  addPatient(keys: readonly string[], facts: PatientFacts, ref: string): SourceRow | null;
  addCondition(keys: readonly string[], facts: ConditionFacts, ref: string): void;
  addConsent(facts: ConsentFacts, ref: string): void;
  addOrganization(keys: readonly string[], collectionId: string): void;
  /** Remembers which Specimen id a `urn:` full URL stands for, so parent references in that form resolve. */
  addSpecimenUrl(urn: string, id: string): void;
  /** Joins conditions and consents to their patients; returns rows for those that name no Patient at all. */
  finish(): SourceRow[];
  context(defaultCollection: string): SpecimenContext;
}

interface Pending {
  ref: string;
  codes: readonly string[];
}

export function createDonorIndex(): DonorIndex {
  const patients = new Map<string, { facts: PatientFacts; keys: readonly string[] }>();
  const donorConditions = new Map<string, Pending[]>();
  const donorConsents = new Map<string, Pending[]>();
  const conditions = new Map<string, readonly string[]>();
  const specimenConditions = new Map<string, string[]>();
  const collections = new Map<string, string>();
  const specimenUrls = new Map<string, string>();
  const donors = new Map<string, DonorFacts>();

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

  return {
    addPatient(keys, facts, ref) {
      const duplicate = keys.some((key) => patients.has(key));
      const entry = { facts, keys };
      for (const key of keys) patients.set(key, entry);
      return duplicate ? { ref, issues: [{ field: 'Patient.id', message: `${ref} appears more than once; the last one is used` }] } : null;
    },
    addCondition(keys, facts, ref) {
      for (const key of keys) conditions.set(key, facts.codes);
      if (facts.specimenKeys.length === 0) {
        push(donorConditions, facts.subjectKey, { ref, codes: facts.codes });
        return;
      }
      for (const key of facts.specimenKeys) {
        const list = specimenConditions.get(key) ?? [];
        for (const code of facts.codes) if (!list.includes(code)) list.push(code);
        specimenConditions.set(key, list);
      }
    },
    addConsent(facts, ref) {
      push(donorConsents, facts.patientKey, { ref, codes: facts.codes });
    },
    addOrganization(keys, collectionId) {
      for (const key of keys) collections.set(key, collectionId);
    },
    addSpecimenUrl(urn, id) {
      specimenUrls.set(urn, id);
    },
    finish() {
      for (const { facts, keys } of new Set(patients.values())) {
        const donor: DonorFacts = { ...facts, diagnosis: collect(donorConditions, keys), consent: collect(donorConsents, keys) };
        for (const key of keys) donors.set(key, donor);
      }
      patients.clear();
      const orphans: SourceRow[] = [];
      // Conditions and consents of a `Patient/x` that is not in the file still describe donor x.
      const subjects = new Set([...donorConditions.keys(), ...donorConsents.keys()]);
      for (const key of subjects) {
        const target = key.startsWith('urn:') ? null : referenceTarget(key);
        if (target?.type === 'Patient') {
          donors.set(key, {
            donorId: target.id,
            sex: 'unknown',
            birthDate: null,
            diagnosis: collect(donorConditions, [key]),
            consent: collect(donorConsents, [key]),
          });
          continue;
        }
        for (const [map, field] of [
          [donorConditions, 'Condition.subject'],
          [donorConsents, 'Consent.patient'],
        ] as const) {
          for (const { ref } of map.get(key) ?? []) {
            orphans.push({ ref, issues: [{ field, message: `'${key}' does not resolve to a Patient in the file` }] });
          }
        }
      }
      donorConditions.clear();
      donorConsents.clear();
      return orphans;
    },
    context(defaultCollection) {
      return {
        donor: (key) => donors.get(key),
        condition: (key) => conditions.get(key),
        specimenConditions(keys) {
          const codes: string[] = [];
          for (const key of keys) for (const code of specimenConditions.get(key) ?? []) if (!codes.includes(code)) codes.push(code);
          return codes;
        },
        collection: (key) => collections.get(key),
        specimenId: (key) => specimenUrls.get(key),
        defaultCollection,
      };
    },
  };
}
