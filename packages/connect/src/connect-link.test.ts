import net from 'node:net';
import { credentials, Server, ServerCredentials, status as GrpcStatus, type StatusObject } from '@grpc/grpc-js';
import { BiospecError, NodeConnectServiceClient, NodeConnectServiceService, SiteStatus, toGrpcError, type ConnectResponse, type CountStreamRequest } from '@biospec/protocol';
import { siteFailureOf } from '@biospec/federation';
import { createKeyRing, generateSigningKey, importSigningKey, type KeyRing, type SigningKey } from '@biospec/trust';
import { createConnectLinks, type ConnectLinks } from './connect-links.js';
import { signConnectProof } from './connect-proof.js';
import { startConnectOut, type ConnectOut, type ConnectOutOptions, type LinkQueries } from './connect-out.js';

/**
 * The two halves of connect-out over real gRPC on 127.0.0.1, with a stand-in for the node's
 * answer path: each query's signed token names what the node answers (`ok:…`, `busy`, `warming`,
 * `silent`), so the link's own behaviour can be seen apart from a node's.
 */
let hospitalKey: SigningKey;
let strangerKey: SigningKey;
let rings: Map<string, KeyRing>;

beforeAll(async () => {
  hospitalKey = await importSigningKey((await generateSigningKey({ kid: 'hospital-1' })).privateJwk);
  strangerKey = await importSigningKey((await generateSigningKey({ kid: 'stranger-1' })).privateJwk);
  rings = new Map([['hospital', await createKeyRing([hospitalKey.publicJwk])]]);
});

interface Coordinator {
  links: ConnectLinks;
  port: number;
  stop(): Promise<void>;
}

async function startCoordinator(port = 0, proofTimeoutMs = 2000): Promise<Coordinator> {
  const links = createConnectLinks({ coordinatorId: 'coordinator', keysOf: (id) => rings.get(id), keepaliveTimeMs: 5000, proofTimeoutMs });
  const server = new Server();
  server.addService(NodeConnectServiceService, { connect: (call: Parameters<ConnectLinks['handle']>[0]) => links.handle(call) });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    links,
    port: bound,
    stop: () =>
      new Promise<void>((resolve) => {
        links.close();
        server.forceShutdown();
        resolve();
      }),
  };
}

/** The node's answer path, standing in: answers as the token says. */
function serveQueries(queries: LinkQueries) {
  queries.on('data', (request: CountStreamRequest) => {
    const [kind, rest] = request.signedQuery.split(':');
    if (kind === 'silent') return;
    if (kind === 'ok') queries.write({ id: request.id, signedResult: `answer to ${rest}` });
    const refusal = (error: BiospecError) => {
      const refused = toGrpcError(error);
      queries.write({ id: request.id, error: { code: refused.code, message: refused.details, reason: refused.reason, retryAfterMs: refused.retryAfterMs ?? 0 } });
    };
    if (kind === 'busy') refusal(new BiospecError('BUSY', 'node busy', { retryAfterMs: 250 }));
    if (kind === 'warming') refusal(new BiospecError('WARMING_UP', 'count index loading'));
  });
}

const dialers: ConnectOut[] = [];
function dial(port: number, over: Partial<ConnectOutOptions> = {}): ConnectOut {
  const dialer = startConnectOut({
    coordinator: `127.0.0.1:${port}`,
    credentials: credentials.createInsecure(),
    nodeId: 'hospital',
    signingKey: hospitalKey,
    coordinatorIds: ['coordinator'],
    keepalive: { timeMs: 5000, timeoutMs: 5000 },
    backoff: { initialMs: 50, maxMs: 200 },
    maxMessageBytes: 64 * 1024,
    serveQueries,
    relayed: { '/biospecimen.v1.NodeService/Describe': async (request) => Buffer.concat([Buffer.from('described:'), request]) },
    ...over,
  });
  dialers.push(dialer);
  return dialer;
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (reason: unknown) => siteFailureOf(reason),
  );

let coordinator: Coordinator;
beforeEach(async () => {
  coordinator = await startCoordinator();
});
afterEach(async () => {
  await Promise.all(dialers.splice(0).map((d) => d.stop(100)));
  await coordinator.stop();
});

test('queries and relayed calls go over the link; refusals come back with their reason, decoded as for CountStream', async () => {
  const node = dial(coordinator.port);
  await until('the node to connect', () => node.status().state === 'connected');
  expect(coordinator.links.connected('hospital')).toBe(true);
  expect(node.status()).toMatchObject({ state: 'connected', coordinatorId: 'coordinator', connections: 1, failures: 0 });
  const counts = coordinator.links.counts('hospital');
  const soon = () => new Date(Date.now() + 2000);
  expect(await counts.count('ok:q1', soon())).toBe('answer to q1');
  expect(await failureOf(counts.count('busy:', soon()))).toMatchObject({ status: SiteStatus.SITE_STATUS_BUSY, retryAfterMs: 250 });
  expect(await failureOf(counts.count('warming:', soon()))).toMatchObject({ status: SiteStatus.SITE_STATUS_WARMING_UP });
  // Answers come back in any order, each to its own query.
  expect(await Promise.all(['a', 'b', 'c'].map((q) => counts.count(`ok:${q}`, soon())))).toEqual(['answer to a', 'answer to b', 'answer to c']);

  const relayed = await coordinator.links.relay('hospital', '/biospecimen.v1.NodeService/Describe', Buffer.from('x'), soon());
  expect(relayed.toString()).toBe('described:x');
  const notOffered = await failureOf(coordinator.links.relay('hospital', '/biospecimen.v1.NodeService/Other', Buffer.alloc(0), soon()));
  expect(notOffered).toMatchObject({ status: SiteStatus.SITE_STATUS_ERROR, message: 'NOT_FOUND: /biospecimen.v1.NodeService/Other is not offered over connect-out' });
});

test('a node that is not connected is unreachable at once; a silent one is a timeout at the deadline', async () => {
  const started = Date.now();
  expect(await failureOf(coordinator.links.counts('hospital').count('ok:q', new Date(Date.now() + 5000)))).toMatchObject({
    status: SiteStatus.SITE_STATUS_UNREACHABLE,
    message: 'node hospital is not connected (connect-out)',
  });
  expect(Date.now() - started).toBeLessThan(1000);
  dial(coordinator.port);
  await until('the node to connect', () => coordinator.links.connected('hospital'));
  const silentAt = Date.now();
  expect(await failureOf(coordinator.links.counts('hospital').count('silent:', new Date(Date.now() + 300)))).toMatchObject({ status: SiteStatus.SITE_STATUS_TIMEOUT });
  expect(Date.now() - silentAt).toBeGreaterThanOrEqual(290);
});

test('the newest connection of a node wins: the older one ends, and what waited on it fails as unreachable', async () => {
  const first = dial(coordinator.port);
  await until('the first to connect', () => first.status().state === 'connected');
  const olderLink = coordinator.links.link('hospital')!;
  const waiting = failureOf(coordinator.links.counts('hospital').count('silent:', new Date(Date.now() + 10_000)));
  const second = dial(coordinator.port, { backoff: { initialMs: 60_000, maxMs: 60_000 } });
  await until('the second to connect', () => second.status().state === 'connected');
  expect(await waiting).toMatchObject({ status: SiteStatus.SITE_STATUS_UNREACHABLE, message: 'replaced by a newer connection of the same node' });
  expect(olderLink.isOpen()).toBe(false);
  expect(coordinator.links.link('hospital')).not.toBe(olderLink);
  expect(coordinator.links.stats()).toMatchObject({ connected: 1, replaced: 1 });
  expect(await coordinator.links.counts('hospital').count('ok:new', new Date(Date.now() + 2000))).toBe('answer to new');
});

test('a node proves itself only to a coordinator id it answers', async () => {
  const node = dial(coordinator.port, { coordinatorIds: ['another-coordinator'] });
  await until('the node to give up on this attempt', () => node.status().state === 'retrying');
  expect(node.status().lastError).toBe('the coordinator says it is coordinator, which this node does not answer (coordinatorIds: another-coordinator)');
  expect(coordinator.links.stats()).toMatchObject({ connected: 0, accepted: 0 });
});

test('the node dials again with backoff until the coordinator is there, and stops cleanly', async () => {
  const port = coordinator.port;
  await coordinator.stop();
  const node = dial(port);
  await until('failed attempts', () => node.status().failures >= 2 && node.status().state === 'retrying');
  expect(node.status()).toMatchObject({ state: 'retrying', connections: 0 });
  expect(node.status().lastError).toMatch(/^UNAVAILABLE/);
  coordinator = await startCoordinator(port);
  await until('the node to connect', () => node.status().state === 'connected');
  expect(node.status()).toMatchObject({ state: 'connected', connections: 1 });
  await node.stop(1000);
  expect(node.status().state).toBe('stopped');
  await until('the coordinator to see the link end', () => !coordinator.links.connected('hospital'));
});

/** A hand-driven node: the coordinator's messages as they come, and the call's end. */
function rawCall(port: number) {
  const client = new NodeConnectServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const call = client.connect();
  const messages: ConnectResponse[] = [];
  let ended: StatusObject | undefined;
  call.on('data', (m: ConnectResponse) => messages.push(m));
  call.on('error', () => undefined);
  call.on('status', (s: StatusObject) => {
    ended = s;
    client.close();
  });
  return {
    call,
    messages,
    ended: () => ended,
    challenge: async () => {
      await until('the challenge', () => messages.length > 0);
      return messages[0]!.challenge!;
    },
  };
}

test('the coordinator refuses a replayed proof, a stranger, a foreign signature, and a node too slow to answer', async () => {
  // An honest first connection, whose proof an eavesdropper keeps.
  const honest = rawCall(coordinator.port);
  const first = await honest.challenge();
  const captured = signConnectProof({ nodeId: 'hospital', coordinatorId: first.coordinatorId, nonce: first.nonce }, hospitalKey);
  honest.call.write({ proof: { token: captured } });
  await until('acceptance', () => honest.messages.some((m) => m.accepted !== undefined));

  const cases = [
    { token: () => captured, code: GrpcStatus.UNAUTHENTICATED, details: 'UNAUTHENTICATED: proof answers another challenge: field nonce: proof answers another challenge' },
    {
      token: (nonce: string) => signConnectProof({ nodeId: 'stranger', coordinatorId: 'coordinator', nonce }, strangerKey),
      code: GrpcStatus.PERMISSION_DENIED,
      details: 'PERMISSION_DENIED: node stranger is not a member of this network: field iss: node stranger is not a member of this network',
    },
    {
      token: (nonce: string) => signConnectProof({ nodeId: 'hospital', coordinatorId: 'coordinator', nonce }, strangerKey),
      code: GrpcStatus.UNAUTHENTICATED,
      details: 'UNAUTHENTICATED: unknown key id: field kid: unknown key id',
    },
  ];
  for (const c of cases) {
    const attempt = rawCall(coordinator.port);
    const { nonce } = await attempt.challenge();
    attempt.call.write({ proof: { token: c.token(nonce) } });
    await until('the refusal', () => attempt.ended() !== undefined);
    expect(attempt.ended()).toMatchObject({ code: c.code, details: c.details });
  }
  // None of them disturbed the honest link.
  expect(coordinator.links.stats()).toMatchObject({ connected: 1, accepted: 1, refused: 3, replaced: 0 });
  honest.call.cancel();

  const slow = await startCoordinator(0, 200);
  try {
    const idle = rawCall(slow.port);
    await idle.challenge();
    await until('the refusal', () => idle.ended() !== undefined);
    expect(idle.ended()).toMatchObject({ code: GrpcStatus.DEADLINE_EXCEEDED, details: 'DEADLINE_EXCEEDED: no proof within 200 ms' });
  } finally {
    await slow.stop();
  }
});

test('a coordinator that accepts TCP and never speaks costs the node one handshake timeout, then it dials again', async () => {
  const sockets = new Set<net.Socket>();
  const blackhole = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  try {
    const node = dial((blackhole.address() as net.AddressInfo).port, { handshakeTimeoutMs: 300 });
    await until('the handshake to time out', () => node.status().state === 'retrying');
    expect(node.status().lastError).toBe('no challenge and acceptance within 300 ms');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => blackhole.close(() => resolve()));
  }
});
