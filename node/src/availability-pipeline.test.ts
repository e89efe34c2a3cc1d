import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { availabilityKeyHash, collectionsDigest, createNodeAccessState, UNDESCRIBED_COLLECTION, type AvailabilityQuestion, type NodeAccessState } from '@biospec/access';
import { BiospecError } from '@biospec/protocol';
import { createBudgetLedger, createHoldQueue, createRateLimiter, DEFAULT_POLICY, type DisclosurePolicy } from '@biospec/privacy';
import { matches, MATERIAL_TYPES, type SpecimenRecord } from '@biospec/query';
import { createAuditLog, createKeyRing, createReplayCache, generateSigningKey, importSigningKey, signQuery, verifyResult, type KeyRing, type SigningKey } from '@biospec/trust';
import { createAvailabilityPipeline, type AvailabilityPipeline, type AvailabilitySource } from './availability-pipeline.js';
import { createPreAuthRefusals } from './pre-auth-refusals.js';

let dir: string;
let coordinator: SigningKey;
let nodeKey: SigningKey;
let nodeRing: KeyRing;
let state: NodeAccessState;
let pipeline: AvailabilityPipeline;
let closers: (() => void)[] = [];

const record = (id: string, donor: string, collection: string, material: string, status = 'available', quantity = 2): SpecimenRecord =>
  ({
    sample_id: id,
    donor_id: donor,
    collection_id: collection,
    material_type: material,
    collected_on: '2020-01-01',
    diagnosis: ['C50.9'],
    anatomical_site: null,
    sex: 'female',
    age_at_collection: 50,
    storage_temperature: '-60to-85',
    consent: ['DUO:0000042'],
    status,
    quantity,
    parent_sample_id: null,
  }) as SpecimenRecord;

/** The node's data: two published collections, one undescribed, and specimens that are not available. */
const RECORDS: SpecimenRecord[] = [
  record('S1', 'D1', 'breast', 'tissue-ffpe'),
  record('S2', 'D2', 'breast', 'serum'),
  record('S3', 'D3', 'tumour-bank', 'tissue-frozen'),
  record('S4', 'D4', 'old-study', 'serum'),
  record('S5', 'D5', 'breast', 'serum', 'reserved'),
  record('S6', 'D6', 'breast', 'serum', 'available', 0),
];

/** Counts specimens (each record its own, no aliquots here) per raw (collection, material), uncapped. */
const source: AvailabilitySource = {
  servingEpoch: () => 1,
  async countAvailable(question: AvailabilityQuestion) {
    const hit = RECORDS.filter((r) => matches(question.where, r));
    const cells = new Map<string, { key: Record<string, string>; count: number }>();
    for (const r of hit) {
      const id = `${r.collection_id}/${r.material_type}`;
      const cell = cells.get(id) ?? { key: { collection_id: r.collection_id, material_type: r.material_type }, count: 0 };
      cell.count += 1;
      cells.set(id, cell);
    }
    return { epoch: 1, total: hit.length, strata: [...cells.values()] };
  },
  async listAvailable(question, collections, limit) {
    const specimens = RECORDS.filter((r) => matches(question.where, r) && collections.includes(r.collection_id))
      .slice(0, limit)
      .map((r) => ({ sample_id: r.sample_id, collection_id: r.collection_id, material_type: r.material_type, quantity: r.quantity, storage_temperature: r.storage_temperature }));
    return { epoch: 1, specimens };
  },
};

const policy: DisclosurePolicy = { ...DEFAULT_POLICY, budget: { epsilon: 10, windowDays: 30 }, rateLimits: [] };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-availability-'));
  coordinator = await importSigningKey((await generateSigningKey({ kid: 'coordinator-1' })).privateJwk);
  nodeKey = await importSigningKey((await generateSigningKey({ kid: 'north-1' })).privateJwk);
  nodeRing = await createKeyRing([nodeKey.publicJwk]);
  const ring = await createKeyRing([coordinator.publicJwk], { issuers: ['coordinator'] });
  const file = (name: string) => path.join(dir, name);
  const replay = createReplayCache(file('replay.db'));
  const budget = createBudgetLedger(file('budget.db'));
  const holds = createHoldQueue(file('holds.db'));
  const audit = createAuditLog(file('audit.db'));
  state = createNodeAccessState(file('access.db'));
  closers = [() => replay.close(), () => budget.close(), () => holds.close(), () => audit.close(), () => state.close()];
  state.publish([
    { id: 'tumour-bank', name: 'Tumour bank', description: '', contact: { email: 't@north.example' }, accessConditions: '' },
    { id: 'breast', name: 'Breast cohort', description: '', contact: { email: 'b@north.example' }, accessConditions: '' },
  ]);
  pipeline = createAvailabilityPipeline({
    nodeId: 'north',
    signingKey: nodeKey,
    coordinatorKeys: async () => ring,
    replay,
    policy,
    noiseSecret: Buffer.alloc(32, 7),
    budget,
    rateLimiter: createRateLimiter([]),
    holds,
    audit,
    preAuthRefusals: createPreAuthRefusals({ audit }),
    logger: pino({ level: 'silent' }),
    availability: source,
    accessState: state,
  });
});

afterAll(() => {
  for (const close of closers) close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ask = (query: unknown, question: 'availability' | 'count' = 'availability') =>
  signQuery({ query: query as never, purpose: 'DUO:0000006', researcher: 'r-alice', project: 'p', audience: 'north', issuer: 'coordinator', question }, coordinator);

test('every (published collection x material) cell and the undescribed cell, in the fixed order; 2ε charged once, a repeat free', async () => {
  const answer = await pipeline.answer(await ask({ unit: 'specimens' }));
  const result = await verifyResult(answer.signedResult, nodeRing, { expectedNodeId: 'north' });
  expect(result).toMatchObject({ question: 'availability', unit: 'specimens', cost: 0.2, charged: 0.2, collectionsDigest: state.published().digest });
  expect(result.strata.map((s) => `${s.key.collection_id}/${s.key.material_type}`)).toEqual(
    ['breast', 'tumour-bank', UNDESCRIBED_COLLECTION].flatMap((c) => MATERIAL_TYPES.map((m) => `${c}/${m}`)),
  );
  expect(JSON.parse(answer.collectionsJson).map((c: { id: string }) => c.id)).toEqual(['breast', 'tumour-bank']);
  // The same question again is free (same key, epoch and list).
  const again = await verifyResult((await pipeline.answer(await ask({ unit: 'specimens' }))).signedResult, nodeRing);
  expect(again.charged).toBe(0);
  expect(again.strata).toEqual(result.strata);
});

test('a new published list is a new question: charged again, with fresh noise keyed by the list', async () => {
  state.publish([{ id: 'breast', name: 'Breast cohort', description: 'renamed', contact: { email: 'b@north.example' }, accessConditions: '' }]);
  const result = await verifyResult((await pipeline.answer(await ask({ unit: 'specimens' }))).signedResult, nodeRing);
  expect(result).toMatchObject({ charged: 0.2, collectionsDigest: collectionsDigest(state.published().collections) });
  expect(result.strata.map((s) => s.key.collection_id)).toEqual([...Array(15).fill('breast'), ...Array(15).fill(UNDESCRIBED_COLLECTION)]);
  expect(availabilityKeyHash('a'.repeat(64))).not.toBe('a'.repeat(64));
});

test('a count token is refused here, and a query with strata of its own', async () => {
  await expect(pipeline.answer(await ask({ unit: 'specimens' }, 'count'))).rejects.toMatchObject({
    code: 'PERMISSION_DENIED',
    message: 'token is for a count question, not an availability one',
  });
  await expect(pipeline.answer(await ask({ unit: 'specimens', stratify: ['sex'] }))).rejects.toThrow(
    new BiospecError('INVALID_QUERY', 'an availability question has no stratify: it is answered per collection and material type'),
  );
});
