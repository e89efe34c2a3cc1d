import { SiteStatus } from '@biospec/protocol';
import type { Query } from '@biospec/query';
import { startExactFederation, type ExactFederation } from './harness/exact-federation.js';
import { nodeCounts, outcomeOf, signMany, waitFor } from './harness/load.js';

/** A node with a short queue: a burst far beyond it must overflow. */
const SHORT_QUEUE = 'lakeside-heart';
/** A node with a long queue: the coordinator's question must be judged against its deadline. */
const LONG_QUEUE = 'riverside-pop';

let fed: ExactFederation;

beforeAll(async () => {
  fed = await startExactFederation({
    donorsPerSite: 150,
    nodeConfig: (site, config) => {
      if (site.id === SHORT_QUEUE) return { ...config, admission: { concurrent: 1, queued: 200, perStream: 100_000 } };
      if (site.id === LONG_QUEUE) return { ...config, admission: { concurrent: 1, queued: 100_000, perStream: 100_000 } };
      return config;
    },
  });
}, 60_000);

afterAll(async () => {
  await fed?.stop();
});

/** A question that costs the node some work per answer (every cell protected on its own). */
// Every answer lists all 60 cells, each protected on its own; a bigger stratification mostly measures the test's own client.
const HEAVY: Query = { unit: 'specimens', stratify: ['material_type', 'sex'] };
const question = { queryJson: JSON.stringify({ unit: 'specimens' }), purpose: 'DUO:0000006', project: 'busy' };
const serverOf = (id: string) => fed.federation.nodes.find((n) => n.site.id === id)!.server;

test('a node flooded beyond its admission limit refuses the excess at once and answers what it admitted in time', async () => {
  const server = serverOf(SHORT_QUEUE);
  const flood = 1500;
  const deadlineMs = 20_000;
  const tokens = await signMany(fed.federation.coordinator.signingKey, SHORT_QUEUE, flood, HEAVY);
  const client = nodeCounts(server.address);
  try {
    const deadline = new Date(Date.now() + deadlineMs);
    const results = await Promise.all(tokens.map((token) => outcomeOf(client.counts.count(token, deadline))));
    const answered = results.filter((r) => r.ok);
    const refused = results.flatMap((r) => (r.ok ? [] : [r]));
    expect(refused.length).toBeGreaterThan(0);
    expect(answered.length).toBeGreaterThan(200);
    // Nothing missed its deadline: every question was answered, or refused as busy with a retry hint.
    expect(refused.filter((r) => r.failure.status !== SiteStatus.SITE_STATUS_BUSY)).toEqual([]);
    expect(refused.every((r) => (r.failure.retryAfterMs ?? 0) > 0)).toBe(true);
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(deadlineMs);
    const load = server.load();
    expect(load).toMatchObject({ droppedExpired: 0, refusedBusy: refused.length, started: answered.length, queued: 0, running: 0 });
  } finally {
    client.close();
  }
}, 120_000);

test('the coordinator reports a node too busy to answer in time as busy, with its retry hint, at once', async () => {
  const server = serverOf(LONG_QUEUE);
  const before = await fed.grpcCount(question);
  expect(before.sites.map((s) => s.status)).toEqual(before.sites.map(() => SiteStatus.SITE_STATUS_OK));

  const tokens = await signMany(fed.federation.coordinator.signingKey, LONG_QUEUE, 4000, HEAVY);
  const client = nodeCounts(server.address);
  const deadlineMs = 1000;
  try {
    const flood = tokens.map((token) => outcomeOf(client.counts.count(token, new Date(Date.now() + 120_000))));
    // Wait until the node's own estimate of its queued work is three times the researcher's deadline.
    await waitFor(() => {
      const load = server.load();
      return (load.queued + 1) * load.costMs > 3 * deadlineMs;
    }, 'the flood to queue more work than the deadline allows');

    const started = Date.now();
    const during = await fed.grpcCount({ ...question, deadlineMs });
    const site = during.sites.find((s) => s.nodeId === LONG_QUEUE)!;
    expect(site.status).toBe(SiteStatus.SITE_STATUS_BUSY);
    expect(site.message).toMatch(/^BUSY: node busy/);
    expect(site.retryAfterMs).toBeGreaterThan(deadlineMs);
    expect(Date.now() - started).toBeLessThan(deadlineMs + 500);
    expect(during.sites.filter((s) => s.nodeId !== LONG_QUEUE).map((s) => s.status)).toEqual([SiteStatus.SITE_STATUS_OK, SiteStatus.SITE_STATUS_OK]);

    const { status, body } = await fed.rest('/api/v1/count', { query: { unit: 'specimens' }, purpose: 'DUO:0000006', project: 'busy', deadlineMs });
    expect(status).toBe(200);
    const row = body.sites.find((s: { nodeId: string }) => s.nodeId === LONG_QUEUE);
    expect(row).toMatchObject({ status: 'SITE_STATUS_BUSY' });
    expect(row.retryAfterMs).toBeGreaterThan(0);

    // The flood's caller goes away: what it left waiting is dropped, not counted.
    client.close();
    await Promise.all(flood);
    await waitFor(() => server.load().queued === 0 && server.load().running === 0, 'the node to drop the abandoned queue');
    expect(server.load().droppedCancelled).toBeGreaterThan(0);
  } finally {
    client.close();
  }

  const after = await fed.grpcCount(question);
  expect(after.sites.find((s) => s.nodeId === LONG_QUEUE)?.status).toBe(SiteStatus.SITE_STATUS_OK);
}, 120_000);
