import { SiteStatus } from '@biospec/protocol';
import { startConnectNetwork, type ConnectNetwork } from './harness/connect-network.js';

const PINGS = { timeMs: 1000, timeoutMs: 1000 };
/** Pings too rare to matter within a test: the other side has to notice on its own. */
const NO_PINGS = { timeMs: 600_000, timeoutMs: 600_000 };
/** A ping at most timeMs after the last one, unanswered for timeoutMs; the rest is margin for a loaded machine. */
const NOTICED_WITHIN = PINGS.timeMs + PINGS.timeoutMs + 3000;
const ask = (net: ConnectNetwork, deadlineMs?: number) => net.ask({ unit: 'specimens' }, deadlineMs);

async function droppedLink(keepalive: { coordinator: typeof PINGS; node: typeof PINGS }) {
  const net = await startConnectNetwork({
    nodes: [{ id: 'hospital', mode: 'connect-out', viaProxy: true }],
    coordinatorKeepalive: keepalive.coordinator,
    nodeKeepalive: keepalive.node,
    backoff: { initialMs: 100, maxMs: 500 },
  });
  await net.waitFor('the hospital to connect', () => net.coordinator.connectLinks.connected('hospital'));
  expect((await ask(net)).sites[0]!.status).toBe(SiteStatus.SITE_STATUS_OK);
  return net;
}

// The proxy stops forwarding and passes on no close either, as a NAT that forgot the connection:
// each side can only learn of it from its own unanswered pings.
test("the coordinator's pings: a link dropped without a word is unreachable within the keepalive time, not at the deadline", async () => {
  const net = await droppedLink({ coordinator: PINGS, node: NO_PINGS });
  try {
    net.nodes.get('hospital')!.proxy!.dropSilently();
    const deadlineMs = 30_000;
    const started = Date.now();
    const dropped = await ask(net, deadlineMs);
    const elapsed = Date.now() - started;
    expect(dropped.sites[0]!.status).toBe(SiteStatus.SITE_STATUS_UNREACHABLE);
    expect(elapsed).toBeLessThan(NOTICED_WITHIN);
    expect(elapsed).toBeLessThan(deadlineMs / 4);
    // Known to be gone: the next question is unreachable at once.
    const next = Date.now();
    expect((await ask(net, deadlineMs)).sites[0]!.status).toBe(SiteStatus.SITE_STATUS_UNREACHABLE);
    expect(Date.now() - next).toBeLessThan(1000);
  } finally {
    await net.stop();
  }
}, 60_000);

test("the node's pings: it notices the dropped link within the keepalive time, dials again and answers", async () => {
  const net = await droppedLink({ coordinator: NO_PINGS, node: PINGS });
  try {
    const hospital = net.nodes.get('hospital')!;
    const connectionsBefore = hospital.server.connectOut()!.connections;
    hospital.proxy!.dropSilently();
    const started = Date.now();
    await net.waitFor('the node to notice and connect again', () => hospital.server.connectOut()!.connections > connectionsBefore, 30_000);
    expect(Date.now() - started).toBeLessThan(NOTICED_WITHIN);
    // Its new connection replaces the one the coordinator still thinks alive (the newest wins).
    expect(net.coordinator.connectLinks.stats().replaced).toBe(1);
    expect((await ask(net)).sites[0]!.status).toBe(SiteStatus.SITE_STATUS_OK);
  } finally {
    await net.stop();
  }
}, 60_000);

test('a node in both modes is asked over its link while it has one, and at its address once the link is gone', async () => {
  const net = await startConnectNetwork({
    nodes: [{ id: 'hospital', mode: 'both', member: 'address', viaProxy: true }],
    coordinatorKeepalive: PINGS,
    nodeKeepalive: NO_PINGS,
    backoff: { initialMs: 100, maxMs: 500 },
  });
  try {
    await net.waitFor('the hospital to connect', () => net.coordinator.connectLinks.connected('hospital'));
    expect((await ask(net)).sites[0]!.status).toBe(SiteStatus.SITE_STATUS_OK);
    // Only the link passes through the proxy: a question that fails with it went over the link.
    net.nodes.get('hospital')!.proxy!.dropSilently();
    expect((await ask(net, 30_000)).sites[0]!.status).toBe(SiteStatus.SITE_STATUS_UNREACHABLE);
    expect(net.coordinator.connectLinks.connected('hospital')).toBe(false);
    const next = await ask(net);
    expect(next.sites[0]!.status).toBe(SiteStatus.SITE_STATUS_OK);
  } finally {
    await net.stop();
  }
}, 60_000);
