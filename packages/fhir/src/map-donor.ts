import { SEXES, type Sex } from '@biospec/query/model';
import { checkDuo, duoCode, icd10Codes } from './codings.js';
import type { ConsentProvision, FhirCondition, FhirConsent, FhirPatient, LocatedIssue } from './fhir-model.js';
import { toPartialDate } from './partial-dates.js';
import type { ConsentTable } from './mapping-tables.js';
import { identifierKey, referenceKey, referenceTarget } from './references.js';
import { SYSTEMS } from './systems.js';

/** What a Patient contributes to its specimens. */
export interface PatientFacts {
  donorId: string;
  sex: Sex;
  /** Partial ISO date, or null when the Patient has none. */
  birthDate: string | null;
}

/**
 * Patient.id (or the uuid of its `urn:uuid:` full URL) → donor_id,
 * Patient.gender → sex (absent: `unknown`), Patient.birthDate (partial allowed).
 */
export function mapPatient(patient: FhirPatient, fallbackId?: string): { facts: PatientFacts | null; issues: LocatedIssue[] } {
  const issues: LocatedIssue[] = [];
  const id = patient.id ?? fallbackId;
  if (id === undefined) issues.push({ field: 'Patient.id', message: 'a Patient needs an id (or a urn:uuid full URL): it becomes the donor_id' });
  const gender = patient.gender ?? 'unknown';
  if (!(SEXES as readonly string[]).includes(gender)) {
    issues.push({ field: 'Patient.gender', message: `'${gender}' is not one of ${SEXES.join(', ')}` });
  }
  let birthDate: string | null = null;
  if (patient.birthDate !== undefined) {
    birthDate = /T/.test(patient.birthDate) ? null : toPartialDate(patient.birthDate);
    if (birthDate === null) issues.push({ field: 'Patient.birthDate', message: `'${patient.birthDate}' is not a FHIR date` });
  }
  if (issues.length > 0 || id === undefined) return { facts: null, issues };
  return { facts: { donorId: id, sex: gender as Sex, birthDate }, issues };
}

/** What a Condition contributes: ICD-10 codes of its subject, and the specimens its evidence names as showing it. */
export interface ConditionFacts {
  /** Key of Condition.subject (`Patient/x`, a `urn:` full URL, or `identifier:system|value`). */
  subjectKey: string;
  codes: string[];
  /** Keys of the specimens named in Condition.evidence.detail: the codes are also these samples' own diagnoses. */
  specimenKeys: string[];
}

/** The key of a subject/patient reference, by reference or by identifier. */
function subjectKeyOf(reference: { reference?: string; identifier?: { system?: string; value?: string } } | undefined): string | null {
  if (reference?.reference !== undefined) return referenceKey(reference.reference);
  return reference?.identifier === undefined ? null : (identifierKey(reference.identifier) ?? null);
}

const DISCARDED_VERIFICATION = new Set(['refuted', 'entered-in-error']);

/**
 * Condition.code (ICD-10) for Condition.subject, whatever its clinical status
 * and dates. A refuted or entered-in-error Condition is ignored (the caller
 * counts it); evidence naming a Specimen also makes the codes that specimen's own.
 */
export function mapCondition(condition: FhirCondition): { facts: ConditionFacts | null; ignored: boolean; issues: LocatedIssue[]; warning?: LocatedIssue } {
  const verification = condition.verificationStatus?.coding?.map((c) => c.code) ?? [];
  if (verification.some((code) => code !== undefined && DISCARDED_VERIFICATION.has(code))) {
    return { facts: null, ignored: true, issues: [] };
  }
  let warning: LocatedIssue | undefined;
  const issues: LocatedIssue[] = [];
  const subject = condition.subject?.reference;
  const subjectKey = subjectKeyOf(condition.subject);
  if (subjectKey === null) issues.push({ field: 'Condition.subject', message: 'a Condition needs a subject referencing its Patient' });
  else if (!subjectKey.startsWith('urn:') && !subjectKey.startsWith('Patient/') && !subjectKey.startsWith('identifier:')) {
    issues.push({ field: 'Condition.subject', message: `'${subject}' does not reference a Patient` });
  }
  let codes: string[] = [];
  if (condition.code === undefined) issues.push({ field: 'Condition.code', message: 'a Condition needs a code' });
  else {
    const mapped = icd10Codes(condition.code, 'Condition.code');
    codes = mapped.codes;
    issues.push(...mapped.issues);
    warning = mapped.warning;
  }
  const specimenKeys: string[] = [];
  for (const evidence of condition.evidence ?? []) {
    for (const detail of evidence.detail ?? []) {
      const key = detail.reference === undefined ? null : referenceKey(detail.reference);
      if (key !== null && (key.startsWith('urn:') || referenceTarget(key)?.type === 'Specimen')) specimenKeys.push(key);
    }
  }
  if (issues.length > 0 || subjectKey === null) return { facts: null, ignored: false, issues };
  return { facts: { subjectKey, codes, specimenKeys }, ignored: false, issues, ...(warning ? { warning } : {}) };
}

/** What an active Consent contributes: the DUO codes its patient agreed to. */
export interface ConsentFacts {
  patientKey: string;
  codes: string[];
}

/** How a Consent's provisions are read. */
export interface ConsentOptions {
  /** Broad Consent policy codes → DUO uses. */
  table: ConsentTable;
  /** The day permits are evaluated on (their `period`), as `YYYY-MM-DD`. */
  today: string;
}

/** A Consent whose provisions grant no DUO use, with the codes it had: reported, never an error. */
export interface UnmappedConsent {
  /** Codes of permits that grant nothing for specimens, or that the table does not know. */
  codes: string[];
  reason: string;
}

/**
 * DUO codes from Consent.provision and its nested provisions: DUO codings in
 * `code` and `purpose` (bbmri.de style), and Broad Consent policy codes mapped
 * by `options.table` (MII style: a root `deny` with nested `permit`s, each
 * valid for its period). A deny with a policy code removes what that code
 * grants. Only an `active` Consent counts; any other status is returned as
 * `ignoredStatus`. A Consent that grants no DUO use is returned as `unmapped`
 * (its donor's specimens then count for no consent question), not as an issue.
 */
export function mapConsent(
  consent: FhirConsent,
  options: ConsentOptions,
): {
  facts: ConsentFacts | null;
  ignoredStatus: string | null;
  unmapped: UnmappedConsent | null;
  issues: LocatedIssue[];
} {
  if (consent.status !== 'active') return { facts: null, ignoredStatus: consent.status ?? '(none)', unmapped: null, issues: [] };
  const issues: LocatedIssue[] = [];
  const patientKey = subjectKeyOf(consent.patient);
  if (patientKey === null) issues.push({ field: 'Consent.patient', message: 'an active Consent needs a patient reference' });
  const codes: string[] = [];
  const walk: ProvisionWalk = { codes, denied: new Set(), notGranting: [], unknown: [], expired: [], issues, options };
  if (consent.provision !== undefined) collectProvision(consent.provision, 'Consent.provision', walk);
  const granted = codes.filter((code) => !walk.denied.has(code));
  if (issues.length > 0 || patientKey === null) return { facts: null, ignoredStatus: null, unmapped: null, issues };
  let unmapped: UnmappedConsent | null = null;
  if (granted.length === 0) {
    const reason =
      walk.unknown.length > 0
        ? 'policy codes not in the consent mapping'
        : walk.expired.length > 0
          ? 'its permits are outside their period'
          : walk.notGranting.length > 0
            ? 'no permit grants a research use of biomaterial'
            : 'no DUO code or Broad Consent policy code in its provisions';
    unmapped = { codes: [...walk.unknown, ...walk.expired, ...walk.notGranting], reason };
  }
  return { facts: { patientKey, codes: granted }, ignoredStatus: null, unmapped, issues };
}

interface ProvisionWalk {
  codes: string[];
  denied: Set<string>;
  notGranting: string[];
  unknown: string[];
  expired: string[];
  issues: LocatedIssue[];
  options: ConsentOptions;
}

function inPeriod(period: { start?: string; end?: string } | undefined, today: string): boolean {
  if (period === undefined) return true;
  if (period.start !== undefined && period.start.slice(0, 10) > today) return false;
  if (period.end !== undefined && period.end.slice(0, 10) < today) return false;
  return true;
}

function collectProvision(provision: ConsentProvision, path: string, walk: ProvisionWalk): void {
  const found: { code: string; field: string }[] = [];
  const policy: string[] = [];
  const consider = (coding: { system?: string; code?: string }, field: string): void => {
    if (coding.system === SYSTEMS.miiConsentPolicy && coding.code !== undefined) {
      policy.push(coding.code);
      return;
    }
    const code = duoCode(coding);
    if (code === null) return;
    const issue = checkDuo(code, coding, field);
    if (issue) walk.issues.push(issue);
    else found.push({ code, field });
  };
  provision.code?.forEach((concept, i) => concept.coding?.forEach((coding, j) => consider(coding, `${path}.code[${i}].coding[${j}].code`)));
  provision.purpose?.forEach((coding, i) => consider(coding, `${path}.purpose[${i}].code`));
  const deny = provision.type === 'deny';
  if (deny && found.length > 0) {
    // DUO terms are permissions and modifiers of a permission; denying one has no DUO meaning.
    for (const { code, field } of found) walk.issues.push({ field, message: `${code} appears in a deny provision, which DUO cannot express` });
  } else {
    for (const { code } of found) if (!walk.codes.includes(code)) walk.codes.push(code);
  }
  for (const code of policy) {
    const row = walk.options.table.codes[code];
    if (row === undefined) {
      if (!deny) walk.unknown.push(code);
      continue;
    }
    if (deny) {
      for (const duo of row.duo) walk.denied.add(duo);
      continue;
    }
    if (!inPeriod(provision.period, walk.options.today)) {
      walk.expired.push(code);
      continue;
    }
    if (row.duo.length === 0) walk.notGranting.push(code);
    for (const duo of row.duo) if (!walk.codes.includes(duo)) walk.codes.push(duo);
  }
  provision.provision?.forEach((nested, i) => collectProvision(nested, `${path}.provision[${i}]`, walk));
}
