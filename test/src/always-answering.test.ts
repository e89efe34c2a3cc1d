import fs from 'node:fs';
import path from 'node:path';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { importCsv, snapshotPathOf } from '@biospec/catalogue';
import { referenceCount, type Query, type SpecimenRecord } from '@biospec/query';
import { generateCatalogue, writeCsv } from '@biospec/synthetic';
import { signQuery } from '@biospec/trust';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';

/**
 * A node large enough that SQL does not answer for the index (over
 * SQL_FALLBACK_MAX_ROWS rows), whose update import takes seconds: about
 * 130,000 rows before it, 150,000 after.
 */
const DONORS = 25_000;
const QUESTIONS: Query[] = [
  { unit: 'aliquots', where: { op: 'in', field: 'status', values: ['available'] } },
  { unit: 'specimens', where: { op: 'consent_permits', use: 'DUO:0000042' } },
  { unit: 'donors', where: { op: 'in', field: 'material_type', values: ['dna'] } },
];
/** Generous: a question that takes longer than this has missed what the node promises. */
const DEADLINE_MS = 5000;

let node: SingleNode;
let before: SpecimenRecord[];
let after: SpecimenRecord[];

beforeAll(async () => {
  before = [...generateCatalogue({ seed: 21, donors: DONORS, profile: 'university-hospital', idPrefix: 'A' })];
  node = await startSingleNode({ records: before });
  await node.node.catalogue.countIndexReady();
  // The update: every 7th specimen reserved, and 4,000 donors more.
  after = [
    ...before.map((r, i) => (i % 7 === 0 && r.status === 'available' ? { ...r, status: 'reserved' as const } : r)),
    ...generateCatalogue({ seed: 22, donors: 4000, profile: 'university-hospital', idPrefix: 'N' }),
  ];
}, 180_000);

afterAll(async () => {
  await node?.stop();
});

async function ask(query: Query): Promise<{ epoch: number; value: number }> {
  const token = await signQuery({ query, purpose: 'DUO:0000006', researcher: 'r-steady', project: 'p', audience: NODE_ID, issuer: 'coordinator' }, node.coordinatorKey);
  const started = Date.now();
  const answer = await new Promise<Awaited<ReturnType<SingleNode['count']>>>((resolve, reject) =>
    node.client.count({ signedQuery: token }, new Metadata(), { deadline: started + DEADLINE_MS }, (error: ServiceError | null, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
  expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
  return { epoch: answer.result!.dataEpoch, value: answer.result!.total!.value ?? -1 };
}

test('questions asked at 20 a second through an update import are all answered in time, each wholly of the old epoch or of the new', async () => {
  const csv = path.join(node.dir, '..', 'update.csv');
  await writeCsv(after, csv);
  const oldEpoch = node.node.catalogue.epoch();
  const expected = (records: SpecimenRecord[]) => QUESTIONS.map((q) => referenceCount(q, records).total);
  const want = new Map([
    [oldEpoch, expected(before)],
    [oldEpoch + 1, expected(after)],
  ]);

  let importing = true;
  const imported = importCsv(node.node.catalogue, csv, { actor: 'test' }).finally(() => (importing = false));
  const answers: { epoch: number; value: number; question: number; duringImport: boolean }[] = [];
  const pending: Promise<void>[] = [];
  // Until the import has committed and the new epoch's index answers, then a few more.
  for (let i = 0, afterReady = 0; afterReady < 10; i++) {
    const question = i % QUESTIONS.length;
    const duringImport = importing;
    pending.push(ask(QUESTIONS[question]!).then((a) => void answers.push({ ...a, question, duringImport })));
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (!importing && node.node.catalogue.status().state === 'ready') afterReady++;
    expect(i).toBeLessThan(20 * 240);
  }
  await imported;
  await Promise.all(pending);

  for (const { epoch, value, question } of answers) expect(value).toBe(want.get(epoch)?.[question]);
  expect(answers.filter((a) => a.duringImport && a.epoch === oldEpoch).length).toBeGreaterThan(0);
  expect(answers.filter((a) => a.epoch === oldEpoch + 1).length).toBeGreaterThan(0);
  // Once an answer is of the new epoch, none is of the old one again.
  const firstNew = answers.findIndex((a) => a.epoch === oldEpoch + 1);
  expect(answers.slice(firstNew).every((a) => a.epoch === oldEpoch + 1)).toBe(true);
}, 300_000);

test('a restarted node serves indexed counts from its persisted index; a corrupted one is detected and rebuilt', async () => {
  const snapshot = snapshotPathOf(node.node.config.catalogue);
  await node.node.catalogue.countIndexReady();
  expect(fs.existsSync(snapshot)).toBe(true);
  const current = referenceCount(QUESTIONS[0]!, after).total;

  const restarted = Date.now();
  await node.restart();
  await node.node.catalogue.countIndexReady();
  // Read back, not rebuilt: well within what a build of these rows takes on this machine.
  expect(Date.now() - restarted).toBeLessThan(20_000);
  expect(node.node.catalogue.status()).toMatchObject({ state: 'ready', serving: { from: 'file' } });
  expect((await ask(QUESTIONS[0]!)).value).toBe(current);

  // Flip bytes in the middle of the file: the checksum no longer matches.
  const fd = fs.openSync(snapshot, 'r+');
  const middle = Math.floor(fs.statSync(snapshot).size / 2);
  fs.writeSync(fd, Buffer.from([0xde, 0xad, 0xbe, 0xef]), 0, 4, middle);
  fs.closeSync(fd);
  await node.restart();
  await node.node.catalogue.countIndexReady();
  expect(node.node.catalogue.status()).toMatchObject({ state: 'ready', serving: { from: 'build', fileProblem: expect.stringContaining('checksum mismatch') } });
  expect((await ask(QUESTIONS[0]!)).value).toBe(current);

  // The rebuilt index was persisted again, whole.
  await node.restart();
  await node.node.catalogue.countIndexReady();
  expect(node.node.catalogue.status()).toMatchObject({ state: 'ready', serving: { from: 'file' } });
}, 300_000);
