import { BiospecError, SiteStatus } from '@biospec/protocol';
import type { Query } from '@biospec/query';
import { startConnectNetwork, type ConnectNetwork, type NetworkNode } from './harness/connect-network.js';
import { holdCounts, outcomeOf, signMany, sleep, waitFor } from './harness/load.js';

/**
 * The node's own limits hold on its connect-out link exactly as on a CountStream call: one admission
 * limit, the per-stream limit, deadlines counted from when it reads a query, cancellation when the
 * link goes away, and the same refusals with their reasons, decoded by the coordinator the same way.
 */
let net: ConnectNetwork;
let hospital: NetworkNode;

/** Every answer lists all 60 cells, each protected on its own: some work per answer. */
const HEAVY: Query = { unit: 'specimens', stratify: ['material_type', 'sex'] };
const PER_STREAM = 50;

beforeAll(async () => {
  net = await startConnectNetwork({
    nodes: [{ id: 'hospital', mode: 'connect-out' }],
    configure: (_spec, config) => ({ ...config, admission: { concurrent: 1, queued: 1000, perStream: PER_STREAM } }),
  });
  hospital = net.nodes.get('hospital')!;
  await net.waitFor('the hospital to connect', () => net.coordinator.connectLinks.connected('hospital'));
}, 60_000);

afterAll(async () => {
  await net?.stop();
});

const link = () => net.coordinator.connectLinks.counts('hospital');
const dropped = (reason: string) =>
  hospital.open.audit.list({ kind: 'query', limit: 100_000 }).filter((e) => e.outcome === 'dropped' && e.detail?.['reason'] === reason).length;

test('a burst over the link meets the per-stream limit: the excess is refused at once as busy, with a retry hint', async () => {
  const tokens = await signMany(net.coordinator.signingKey, 'hospital', 400, HEAVY);
  const before = hospital.server.load();
  const deadline = new Date(Date.now() + 20_000);
  const results = await Promise.all(tokens.map((token) => outcomeOf(link().count(token, deadline))));
  const refused = results.flatMap((r) => (r.ok ? [] : [r]));
  const answered = results.filter((r) => r.ok).length;
  expect(answered).toBeGreaterThan(0);
  expect(refused.length).toBeGreaterThan(0);
  expect(refused.filter((r) => r.failure.status !== SiteStatus.SITE_STATUS_BUSY)).toEqual([]);
  expect(refused.every((r) => (r.failure.retryAfterMs ?? 0) > 0)).toBe(true);
  expect(refused.some((r) => new RegExp(`more than ${PER_STREAM} queries in flight on one stream`).test(r.failure.message))).toBe(true);
  // What was admitted went through the node's one admission limit, as a CountStream's questions do.
  const load = hospital.server.load();
  expect(load.started - before.started).toBe(answered);
  expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(20_000);
}, 60_000);

test('a query whose deadline passes while it waits is dropped at the node, audited, and a timeout at the coordinator', async () => {
  const tokens = await signMany(net.coordinator.signingKey, 'hospital', 30, HEAVY);
  const auditedBefore = dropped('deadline');
  const before = hospital.server.load();
  const held = holdCounts(hospital.open.catalogue);
  const allowedMs = 5000;
  const results = Promise.all(tokens.map((token) => outcomeOf(link().count(token, new Date(Date.now() + allowedMs)))));
  // The first question holds the node's one slot; the others wait behind it.
  await waitFor(() => hospital.server.load().queued >= 10, 'questions waiting at the node');
  const waiting = hospital.server.load().queued;
  // Each of those was read by now with at most `allowedMs` left: once that has passed, every one is past its deadline.
  await sleep(allowedMs + 1);
  held.release();
  const outcomes = await results;
  await waitFor(() => hospital.server.load().queued === 0 && hospital.server.load().running === 0, 'the node to work through its queue');
  const expired = hospital.server.load().droppedExpired - before.droppedExpired;
  expect(expired).toBeGreaterThanOrEqual(waiting);
  expect(outcomes.filter((o) => !o.ok && o.failure.status === SiteStatus.SITE_STATUS_TIMEOUT).length).toBeGreaterThanOrEqual(expired);
  await waitFor(() => dropped('deadline') - auditedBefore >= expired, 'the drops to be audited');
}, 60_000);

test('when the link goes away, the node drops the queries of that link still waiting, and dials again', async () => {
  const tokens = await signMany(net.coordinator.signingKey, 'hospital', 30, HEAVY);
  const before = hospital.server.load();
  const held = holdCounts(hospital.open.catalogue);
  // A far deadline: the node's cost estimate still carries the question held above, and none of these may be refused as busy.
  const results = Promise.all(tokens.map((token) => outcomeOf(link().count(token, new Date(Date.now() + 600_000)))));
  await waitFor(() => hospital.server.load().queued >= 10, 'questions waiting at the node');
  net.coordinator.connectLinks.link('hospital')!.close('the test ends this link');
  const outcomes = await results;
  expect(outcomes.filter((o) => !o.ok).every((o) => !o.ok && o.failure.status === SiteStatus.SITE_STATUS_UNREACHABLE)).toBe(true);
  await waitFor(() => hospital.server.load().queued === 0, 'the node to drop what waited');
  held.release();
  await waitFor(() => hospital.server.load().running === 0, 'the held question to finish');
  const load = hospital.server.load();
  expect(load.droppedCancelled - before.droppedCancelled).toBeGreaterThan(0);
  expect(load.started - before.started).toBeLessThan(tokens.length);
  await net.waitFor('the hospital to connect again', () => net.coordinator.connectLinks.connected('hospital'));
}, 60_000);

test('a node that cannot count yet is reported warming up over its link, apart from unreachable', async () => {
  const { catalogue } = hospital.open;
  const count = catalogue.count;
  // A catalogue stub at the count pipeline's boundary: the catalogue says what a loading count index says.
  catalogue.count = () => {
    throw new BiospecError('WARMING_UP', 'count index loading');
  };
  try {
    const response = await net.ask({ unit: 'specimens' });
    expect(response.sites[0]).toMatchObject({ nodeId: 'hospital', status: SiteStatus.SITE_STATUS_WARMING_UP, message: 'count index warming up' });
  } finally {
    catalogue.count = count;
  }
  expect((await net.ask({ unit: 'specimens' })).sites[0]!.status).toBe(SiteStatus.SITE_STATUS_OK);
});
