import { SEXES, type Sex } from '@biospec/query';
import { checkDuo, duoCode, icd10Codes } from './codings.js';
import type { ConsentProvision, FhirCondition, FhirConsent, FhirPatient, LocatedIssue } from './fhir-model.js';
import { toPartialDate } from './partial-dates.js';
import { referenceKey, referenceTarget } from './references.js';

/** What a Patient contributes to its specimens. */
export interface PatientFacts {
  donorId: string;
  sex: Sex;
  /** Partial ISO date, or null when the Patient has none. */
  birthDate: string | null;
}

/** Patient.id → donor_id, Patient.gender → sex (absent: `unknown`), Patient.birthDate (partial allowed). */
export function mapPatient(patient: FhirPatient): { facts: PatientFacts | null; issues: LocatedIssue[] } {
  const issues: LocatedIssue[] = [];
  if (patient.id === undefined) issues.push({ field: 'Patient.id', message: 'a Patient needs an id: it becomes the donor_id' });
  const gender = patient.gender ?? 'unknown';
  if (!(SEXES as readonly string[]).includes(gender)) {
    issues.push({ field: 'Patient.gender', message: `'${gender}' is not one of ${SEXES.join(', ')}` });
  }
  let birthDate: string | null = null;
  if (patient.birthDate !== undefined) {
    birthDate = /T/.test(patient.birthDate) ? null : toPartialDate(patient.birthDate);
    if (birthDate === null) issues.push({ field: 'Patient.birthDate', message: `'${patient.birthDate}' is not a FHIR date` });
  }
  if (issues.length > 0 || patient.id === undefined) return { facts: null, issues };
  return { facts: { donorId: patient.id, sex: gender as Sex, birthDate }, issues };
}

/** What a Condition contributes: ICD-10 codes, for its subject or for the specimens its evidence names. */
export interface ConditionFacts {
  /** Key of Condition.subject (`Patient/x` or a `urn:` full URL). */
  subjectKey: string;
  codes: string[];
  /** Keys of the specimens named in Condition.evidence.detail: the condition is a diagnosis of these samples. */
  specimenKeys: string[];
}

const DISCARDED_VERIFICATION = new Set(['refuted', 'entered-in-error']);

/**
 * Condition.code (ICD-10) for Condition.subject. A refuted or entered-in-error
 * Condition is ignored (the caller counts it); evidence naming a Specimen makes
 * the codes that specimen's diagnosis rather than the whole donor's.
 */
export function mapCondition(condition: FhirCondition): { facts: ConditionFacts | null; ignored: boolean; issues: LocatedIssue[] } {
  const verification = condition.verificationStatus?.coding?.map((c) => c.code) ?? [];
  if (verification.some((code) => code !== undefined && DISCARDED_VERIFICATION.has(code))) {
    return { facts: null, ignored: true, issues: [] };
  }
  const issues: LocatedIssue[] = [];
  const subject = condition.subject?.reference;
  const subjectKey = subject === undefined ? null : referenceKey(subject);
  if (subjectKey === null) issues.push({ field: 'Condition.subject', message: 'a Condition needs a subject referencing its Patient' });
  else if (!subjectKey.startsWith('urn:') && !subjectKey.startsWith('Patient/')) {
    issues.push({ field: 'Condition.subject', message: `'${subject}' does not reference a Patient` });
  }
  let codes: string[] = [];
  if (condition.code === undefined) issues.push({ field: 'Condition.code', message: 'a Condition needs a code' });
  else {
    const mapped = icd10Codes(condition.code, 'Condition.code');
    codes = mapped.codes;
    issues.push(...mapped.issues);
  }
  const specimenKeys: string[] = [];
  for (const evidence of condition.evidence ?? []) {
    for (const detail of evidence.detail ?? []) {
      const key = detail.reference === undefined ? null : referenceKey(detail.reference);
      if (key !== null && (key.startsWith('urn:') || referenceTarget(key)?.type === 'Specimen')) specimenKeys.push(key);
    }
  }
  if (issues.length > 0 || subjectKey === null) return { facts: null, ignored: false, issues };
  return { facts: { subjectKey, codes, specimenKeys }, ignored: false, issues };
}

/** What an active Consent contributes: the DUO codes its patient agreed to. */
export interface ConsentFacts {
  patientKey: string;
  codes: string[];
}

/**
 * DUO codes from Consent.provision and its nested provisions (`code` and
 * `purpose`). Only an `active` Consent counts; any other status is returned as
 * `ignoredStatus` for the caller to report. Non-DUO codings beside DUO ones are
 * ignored; a Consent without any DUO code is reported.
 */
export function mapConsent(consent: FhirConsent): {
  facts: ConsentFacts | null;
  ignoredStatus: string | null;
  issues: LocatedIssue[];
} {
  if (consent.status !== 'active') return { facts: null, ignoredStatus: consent.status ?? '(none)', issues: [] };
  const issues: LocatedIssue[] = [];
  const patient = consent.patient?.reference;
  const patientKey = patient === undefined ? null : referenceKey(patient);
  if (patientKey === null) issues.push({ field: 'Consent.patient', message: 'an active Consent needs a patient reference' });
  const codes: string[] = [];
  if (consent.provision !== undefined) collectDuo(consent.provision, 'Consent.provision', codes, issues);
  if (codes.length === 0 && issues.length === 0) {
    issues.push({ field: 'Consent.provision', message: 'no DUO code found in the provisions' });
  }
  if (issues.length > 0 || patientKey === null) return { facts: null, ignoredStatus: null, issues };
  return { facts: { patientKey, codes }, ignoredStatus: null, issues };
}

function collectDuo(provision: ConsentProvision, path: string, codes: string[], issues: LocatedIssue[]): void {
  const found: { code: string; field: string }[] = [];
  const consider = (coding: { system?: string; code?: string }, field: string): void => {
    const code = duoCode(coding);
    if (code === null) return;
    const issue = checkDuo(code, coding, field);
    if (issue) issues.push(issue);
    else found.push({ code, field });
  };
  provision.code?.forEach((concept, i) => concept.coding?.forEach((coding, j) => consider(coding, `${path}.code[${i}].coding[${j}].code`)));
  provision.purpose?.forEach((coding, i) => consider(coding, `${path}.purpose[${i}].code`));
  if (provision.type === 'deny' && found.length > 0) {
    // DUO terms are permissions and modifiers of a permission; denying one has no DUO meaning.
    for (const { code, field } of found) issues.push({ field, message: `${code} appears in a deny provision, which DUO cannot express` });
  } else {
    for (const { code } of found) if (!codes.includes(code)) codes.push(code);
  }
  provision.provision?.forEach((nested, i) => collectDuo(nested, `${path}.provision[${i}]`, codes, issues));
}
