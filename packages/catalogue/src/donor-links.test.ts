import type { DonorFacts, Query, SourceRow, SpecimenRecord } from '@biospec/query';
import { openCatalogue, type Catalogue } from './catalogue.js';
import { importCsv } from './csv.js';
import { csvLine, CSV_HEADER, specimen, tempCataloguePath, writeCsv } from './test-helpers.js';

// Donor-level updates as a FHIR export states them: a specimen follows its donor's sex,
// birth date, Conditions and consent, and an import of only donors recomputes the stored
// specimens' rows in the same transaction (counting reads only `specimen` and `specimen_diagnosis`).

async function* rows(...items: SourceRow[]): AsyncGenerator<SourceRow> {
  yield* items;
}

const donor = (facts: DonorFacts): SourceRow => ({ ref: `Patient/${facts.donor_id}`, donor: facts });
/** A specimen as a FHIR reader gives it: its own diagnoses and whether it stated its age. */
const linked = (record: SpecimenRecord, own: string[] = [], ageStated = false): SourceRow => ({ ref: `Specimen/${record.sample_id}`, record, linked: { own_diagnosis: own, age_stated: ageStated } });

const c50: Query = { unit: 'aliquots', where: { op: 'diagnosis', codes: ['C50'] } };
const females: Query = { unit: 'aliquots', where: { op: 'in', field: 'sex', values: ['female'] } };
const hmb: Query = { unit: 'aliquots', where: { op: 'consent_permits', use: 'DUO:0000006' } };
const aged = (min: number, max: number): Query => ({ unit: 'aliquots', where: { op: 'age_range', min, max } });

let catalogue: Catalogue;
afterEach(() => catalogue?.close());

async function seed(): Promise<void> {
  catalogue = openCatalogue(tempCataloguePath(), { countIndex: 'off' });
  const base: Partial<SpecimenRecord> = { donor_id: 'D1', diagnosis: [], sex: 'unknown', age_at_collection: null, consent: [] };
  await catalogue.importRows(
    rows(
      linked(specimen({ ...base, sample_id: 'S1', collected_on: '2020-06-01' })),
      linked(specimen({ ...base, sample_id: 'S2', collected_on: '2021-06-01', diagnosis: ['D05.1'] }), ['D05.1']),
      linked(specimen({ ...base, sample_id: 'S3', collected_on: '2021-06-01', age_at_collection: 7 }), [], true),
    ),
  );
}

test('a donors-only import recomputes the stored specimens of the donors it names, in one transaction and one epoch', async () => {
  await seed();
  const before = catalogue.epoch();
  expect((await catalogue.count(c50)).total).toBe(0);
  const report = await catalogue.importRows(rows(donor({ donor_id: 'D1', sex: 'female', birth_date: '1970-01-01', conditions: ['C50.1'], consent: ['DUO:0000042'] })));
  expect(report).toMatchObject({ added: 0, changed: 3, unchanged: 0, removed: 0, donorsUpdated: 1, epoch: before + 1 });
  expect((await catalogue.count(c50)).total).toBe(3);
  expect((await catalogue.count(females)).total).toBe(3);
  expect((await catalogue.count(hmb)).total).toBe(3);
  // S1 and S2 take their ages from the birth date; S3 stated its own (7).
  expect((await catalogue.count(aged(50, 51))).total).toBe(2);
  expect((await catalogue.count(aged(7, 7))).total).toBe(1);
  // S2's own diagnosis stays first: it is the primary diagnosis for the chapter strata.
  expect((await catalogue.count({ unit: 'aliquots', stratify: ['diagnosis_chapter'] })).strata).toEqual([
    { key: { diagnosis_chapter: 'II' }, count: 3 },
  ]);

  const again = await catalogue.importRows(rows(donor({ donor_id: 'D1', conditions: ['C50.1'] })));
  expect(again).toMatchObject({ changed: 0, unchanged: 3, epoch: before + 1 });
  // Fields a later import does not state keep their stored values.
  expect((await catalogue.count(females)).total).toBe(3);

  const cleared = await catalogue.importRows(rows(donor({ donor_id: 'D1', conditions: [] })));
  expect(cleared).toMatchObject({ changed: 3, unchanged: 0, epoch: before + 2 });
  expect((await catalogue.count(c50)).total).toBe(0);
  expect((await catalogue.count({ unit: 'aliquots', where: { op: 'diagnosis', codes: ['D05'] } })).total).toBe(1);
});

test('an import that fails leaves donors and specimens as they were', async () => {
  await seed();
  const epoch = catalogue.epoch();
  await expect(catalogue.importRows(rows(donor({ donor_id: 'D1', conditions: ['C50.1'] }), { ref: 'Specimen/bad', issues: [{ message: 'broken' }] }))).rejects.toMatchObject({ code: 'INVALID_DATA' });
  expect(catalogue.epoch()).toBe(epoch);
  // Had the donor's Conditions been kept, this later import would change the specimens.
  const report = await catalogue.importRows(rows(donor({ donor_id: 'D1', sex: 'unknown' })));
  expect(report).toMatchObject({ changed: 0, unchanged: 3 });
  expect((await catalogue.count(c50)).total).toBe(0);
});

test('a donors-only import cannot remove every specimen', async () => {
  await seed();
  await expect(catalogue.importRows(rows(donor({ donor_id: 'D1', conditions: [] })), { removeMissing: true })).rejects.toThrow(/no specimen rows/);
});

test('a lenient import hands every rejected row over and imports the rest, but removes nothing', async () => {
  await seed();
  const rejected: unknown[] = [];
  const report = await catalogue.importRows(
    rows(linked(specimen({ sample_id: 'S1', donor_id: 'D1', diagnosis: [] })), { ref: 'Specimen/bad', issues: [{ field: 'Specimen.type', message: 'unknown' }] }),
    { removeMissing: true, onRejected: (issues) => rejected.push(issues) },
  );
  expect(rejected).toEqual([[{ field: 'Specimen/bad.Specimen.type', message: 'unknown' }]]);
  expect(report).toMatchObject({ rejected: 1, removed: 0, removalSkipped: true });
  expect(catalogue.size()).toBe(3);
});

test('a specimen re-imported from CSV states every field itself and no longer follows its donor', async () => {
  await seed();
  const csv = writeCsv([CSV_HEADER, csvLine(specimen({ sample_id: 'S1', donor_id: 'D1', diagnosis: [], sex: 'male', consent: [] }))]);
  await importCsv(catalogue, csv);
  const report = await catalogue.importRows(rows(donor({ donor_id: 'D1', sex: 'female', conditions: ['C50.1'] })));
  expect(report).toMatchObject({ changed: 2, unchanged: 0 });
  expect((await catalogue.count(c50)).total).toBe(2);
  expect((await catalogue.count({ unit: 'aliquots', where: { op: 'in', field: 'sex', values: ['male'] } })).total).toBe(1);
});
