import { loadConsentTable } from './mapping-tables.js';
import { mapCondition, mapConsent, mapPatient } from './map-donor.js';
import { SYSTEMS } from './systems.js';

describe('mapPatient', () => {
  test('gender and a partial birth date', () => {
    expect(mapPatient({ resourceType: 'Patient', id: 'p', gender: 'other', birthDate: '1980-04' })).toEqual({
      facts: { donorId: 'p', sex: 'other', birthDate: '1980-04' },
      issues: [],
    });
    expect(mapPatient({ resourceType: 'Patient', id: 'p' }).facts).toEqual({ donorId: 'p', sex: 'unknown', birthDate: null });
  });

  test('bad values are located', () => {
    expect(mapPatient({ resourceType: 'Patient', gender: 'M', birthDate: '1980-04-31' }).issues.map((i) => i.field)).toEqual([
      'Patient.id',
      'Patient.gender',
      'Patient.birthDate',
    ]);
  });
});

describe('mapCondition', () => {
  const icd = (code: string, system: string = SYSTEMS.icd10) => ({ coding: [{ system, code }] });

  test('ICD-10 and ICD-10-GM codes, normalised, for the subject', () => {
    expect(mapCondition({ resourceType: 'Condition', code: icd('c509', SYSTEMS.icd10GmDimdi), subject: { reference: 'Patient/p' } }).facts).toEqual({
      subjectKey: 'Patient/p',
      codes: ['C50.9'],
      specimenKeys: [],
    });
  });

  test('evidence naming a specimen links the condition to it', () => {
    const facts = mapCondition({
      resourceType: 'Condition',
      code: icd('C61'),
      subject: { reference: 'urn:uuid:1' },
      evidence: [{ detail: [{ reference: 'Specimen/s1' }, { reference: 'Observation/o1' }] }],
    }).facts;
    expect(facts?.specimenKeys).toEqual(['Specimen/s1']);
  });

  test('a SNOMED-only code is dropped with a warning naming its path (no diagnosis question could match it); a malformed ICD-10 code is an issue', () => {
    const snomed = mapCondition({ resourceType: 'Condition', code: icd('39065001', SYSTEMS.snomed), subject: { reference: 'Patient/p' } });
    expect(snomed.issues).toEqual([]);
    expect(snomed.facts?.codes).toEqual([]);
    expect(snomed.warning).toEqual({
      field: 'Condition.code.coding[0].code',
      message: `'39065001' (${SYSTEMS.snomed}) is not an ICD-10 code (expected a coding in ${SYSTEMS.icd10}, ${SYSTEMS.icd10GmBfarm}, ${SYSTEMS.icd10GmDimdi}): dropped`,
    });
    expect(mapCondition({ resourceType: 'Condition', code: icd('X99.99.9'), subject: { reference: 'Patient/p' } }).issues[0]?.field).toBe('Condition.code.coding[0].code');
  });

  test('refuted conditions are ignored', () => {
    const refuted = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'refuted' }] };
    expect(mapCondition({ resourceType: 'Condition', verificationStatus: refuted, code: icd('C61') })).toEqual({ facts: null, ignored: true, issues: [] });
  });
});

describe('mapConsent', () => {
  const options = { table: loadConsentTable(), today: '2026-06-01' };
  const duo = (code: string) => ({ coding: [{ system: SYSTEMS.duo, code }] });

  test('DUO codes from code and purpose of nested provisions', () => {
    const result = mapConsent({
      resourceType: 'Consent',
      status: 'active',
      patient: { reference: 'Patient/p' },
      provision: {
        type: 'permit',
        code: [duo('DUO:0000042')],
        provision: [{ type: 'permit', purpose: [{ code: 'DUO_0000019' }], code: [{ coding: [{ system: 'urn:oid:1.2.3', code: 'x' }] }] }],
      },
    }, options);
    expect(result).toEqual({ facts: { patientKey: 'Patient/p', codes: ['DUO:0000042', 'DUO:0000019'] }, ignoredStatus: null, unmapped: null, issues: [] });
  });

  test('a consent that is not active is ignored and its status returned', () => {
    expect(mapConsent({ resourceType: 'Consent', status: 'inactive', provision: { code: [duo('DUO:0000042')] } }, options).ignoredStatus).toBe('inactive');
  });

  test('unknown DUO codes and denied DUO codes are issues; a consent without any DUO use is reported as unmapped', () => {
    const unknown = mapConsent({ resourceType: 'Consent', status: 'active', patient: { reference: 'Patient/p' }, provision: { code: [duo('DUO:0009999')] } }, options);
    expect(unknown.issues).toEqual([{ field: 'Consent.provision.code[0].coding[0].code', message: `'DUO:0009999' (${SYSTEMS.duo}) is not a known DUO code` }]);
    const denied = mapConsent({
      resourceType: 'Consent',
      status: 'active',
      patient: { reference: 'Patient/p' },
      provision: { provision: [{ type: 'deny', code: [duo('DUO:0000042')] }] },
    }, options);
    expect(denied.issues[0]?.field).toBe('Consent.provision.provision[0].code[0].coding[0].code');
    const none = mapConsent({ resourceType: 'Consent', status: 'active', patient: { reference: 'Patient/p' } }, options);
    expect(none.issues).toEqual([]);
    expect(none.facts).toEqual({ patientKey: 'Patient/p', codes: [] });
    expect(none.unmapped?.reason).toBe('no DUO code or Broad Consent policy code in its provisions');
  });
});
