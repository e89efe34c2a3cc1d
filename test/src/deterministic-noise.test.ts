import { createHash } from 'node:crypto';
import { DEFAULT_POLICY } from '@biospec/privacy';
import { DisclosureKind, type ReleasedFigure } from '@biospec/protocol';
import type { Query } from '@biospec/query';
import { signQuery } from '@biospec/trust';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';

let node: SingleNode;

beforeAll(async () => {
  // A fixed secret: with a random one, all seven figures could (rarely) round to the same values in both epochs.
  node = await startSingleNode({ donors: 400, noiseSecret: createHash('sha256').update('deterministic-noise-test').digest(), policy: { ...DEFAULT_POLICY, budget: null, rateLimits: [{ limit: 100000, windowSeconds: 60 }] } });
}, 60_000);

afterAll(async () => {
  await node?.stop();
});

const QUESTIONS: Query[] = [10, 20, 30, 40, 50, 60, 70].map((min) => ({ unit: 'aliquots', where: { op: 'age_range', min } }));

async function released(query: unknown): Promise<ReleasedFigure> {
  const token = await signQuery({ query: query as Query, purpose: 'DUO:0000006', researcher: 'r-noise', project: 'p', audience: NODE_ID, issuer: 'coordinator' }, node.coordinatorKey);
  return (await node.count(token)).result!.total!;
}

test('the same question gets the same noisy figure, also after a restart; a reworded one too; a new data epoch changes the noise', async () => {
  const first = await Promise.all(QUESTIONS.map(released));
  expect(first.every((f) => f.disclosure?.kind === DisclosureKind.DISCLOSURE_KIND_NOISY)).toBe(true);
  expect(await Promise.all(QUESTIONS.map(released))).toEqual(first);

  await node.restart();
  expect(await Promise.all(QUESTIONS.map(released))).toEqual(first);

  const reworded = await released({ where: { op: 'and', args: [{ min: 10, op: 'age_range' }, { min: 10, op: 'age_range' }] }, unit: 'aliquots' });
  expect(reworded).toEqual(first[0]);

  // Withdraw a donor nobody asked about (no age known), so the true counts stay the same and only the epoch moves.
  const bystander = node.records.find((r) => r.age_at_collection === null && r.status !== 'withdrawn')!;
  const sameDonor = node.records.filter((r) => r.donor_id === bystander.donor_id);
  expect(sameDonor.every((r) => r.age_at_collection === null)).toBe(true);
  node.node.catalogue.withdrawDonor(bystander.donor_id);
  const after = await Promise.all(QUESTIONS.map(released));
  expect(after.filter((f, i) => f.value !== first[i]!.value).length).toBeGreaterThan(0);
});
