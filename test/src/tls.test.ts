import { execFileSync } from 'node:child_process';
import https from 'node:https';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { NodeServiceClient, SiteStatus, channelCredentials, type DescribeResponse } from '@biospec/protocol';
import {
  addMember,
  initCoordinatorDir,
  loadCoordinatorConfig,
  openCoordinator,
  parseCoordinatorConfig,
  startCoordinatorHttp,
  COORDINATOR_FILES,
} from '@biospec/coordinator';
import { parseNodeConfig } from '@biospec/node';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const makeCerts = path.resolve(here, '../../deploy/tls/make-certs.sh');

let work: string;
let certs: string;
let coordinatorDir: string;
let node: SingleNode;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-tls-'));
  certs = path.join(work, 'certs');
  // The same script the docs tell operators to use.
  execFileSync('bash', [makeCerts, certs, 'node', 'coordinator'], { stdio: 'ignore' });
  coordinatorDir = path.join(work, 'coordinator');
  await initCoordinatorDir(coordinatorDir);
  node = await startSingleNode({
    donors: 60,
    coordinatorKeyFile: path.join(coordinatorDir, COORDINATOR_FILES.signingKey),
    configure: (c) => ({
      ...c,
      tls: { cert: path.join(certs, 'node.crt'), key: path.join(certs, 'node.key'), ca: path.join(certs, 'ca.crt'), requireClientCert: true },
    }),
    clientCredentials: channelCredentials({ ca: path.join(certs, 'ca.crt'), cert: path.join(certs, 'coordinator.crt'), key: path.join(certs, 'coordinator.key') }),
  });
}, 60_000);

afterAll(async () => {
  await node?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function describe(client: NodeServiceClient): Promise<DescribeResponse> {
  return new Promise((resolve, reject) =>
    client.describe({}, new Metadata(), { deadline: Date.now() + 3000 }, (err: ServiceError | null, res) => (err ? reject(err) : resolve(res))),
  );
}

test('a node with mutual TLS refuses a client without a certificate', async () => {
  const anonymous = new NodeServiceClient(`localhost:${node.server.port}`, channelCredentials({ ca: path.join(certs, 'ca.crt') }));
  try {
    await expect(describe(anonymous)).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
  } finally {
    anonymous.close();
  }
});

test('a node with TLS refuses a plaintext client', async () => {
  const plain = new NodeServiceClient(`127.0.0.1:${node.server.port}`, channelCredentials(undefined));
  try {
    await expect(describe(plain)).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
  } finally {
    plain.close();
  }
});

test('a node with mutual TLS serves the coordinator that has a certificate', async () => {
  addMember(coordinatorDir, { id: NODE_ID, name: 'Test Node', endpoint: `localhost:${node.server.port}`, jwksFile: path.join(node.dir, 'node.jwks.json') });
  const config = loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config));
  const coordinator = await openCoordinator(
    { ...config, nodeTls: { ca: path.join(certs, 'ca.crt'), cert: path.join(certs, 'coordinator.crt'), key: path.join(certs, 'coordinator.key') } },
    { logger: pino({ level: 'silent' }) },
  );
  try {
    const person = await coordinator.people.create({ name: 'tls' });
    const response = await coordinator.federatedCount(person, { query: { unit: 'donors' }, purpose: 'DUO:0000006', project: 'tls' });
    expect(response.sites[0]?.status).toBe(SiteStatus.SITE_STATUS_OK);
    expect(response.sites[0]?.total?.value).toBeGreaterThan(0);
  } finally {
    await coordinator.close();
  }
});

/** GET over HTTPS with Node's own client; resolves with the status and body, rejects on a TLS failure. */
function httpsGet(url: string, options: https.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, options, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

const restTls = (requireClientCert: boolean) => ({
  cert: path.join(certs, 'coordinator.crt'),
  key: path.join(certs, 'coordinator.key'),
  ca: path.join(certs, 'ca.crt'),
  requireClientCert,
});
const caPem = () => fs.readFileSync(path.join(certs, 'ca.crt'));

test('the coordinator REST server, with the tls block of its gRPC server, serves HTTPS that a client trusting the CA can use, and refuses plain HTTP', async () => {
  const config = loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config));
  const coordinator = await openCoordinator({ ...config, httpListen: '127.0.0.1:0', tls: restTls(false) }, { logger: pino({ level: 'silent' }) });
  const http = await startCoordinatorHttp(coordinator);
  try {
    expect(http.url).toBe(`https://127.0.0.1:${http.port}`);
    await expect(httpsGet(`${http.url}/healthz`, { ca: caPem() })).resolves.toEqual({ status: 200, body: '{"status":"ok"}' });
    const jwks = await httpsGet(`${http.url}/.well-known/jwks.json`, { ca: caPem() });
    expect(JSON.parse(jwks.body)).toEqual({ keys: [coordinator.signingKey.publicJwk] });
    // A client that does not trust the CA refuses the server; a plaintext client gets no answer.
    await expect(httpsGet(`${http.url}/healthz`, {})).rejects.toThrow(/self-signed|unable to verify|certificate/i);
    await expect(fetch(`http://127.0.0.1:${http.port}/healthz`)).rejects.toThrow();
  } finally {
    await http.stop();
    await coordinator.close();
  }
});

test('the coordinator REST server with requireClientCert serves only clients with a certificate from the CA', async () => {
  const config = loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config));
  const coordinator = await openCoordinator({ ...config, httpListen: '127.0.0.1:0', tls: restTls(true) }, { logger: pino({ level: 'silent' }) });
  const http = await startCoordinatorHttp(coordinator);
  try {
    await expect(httpsGet(`${http.url}/healthz`, { ca: caPem() })).rejects.toThrow();
    const withCert = await httpsGet(`${http.url}/healthz`, {
      ca: caPem(),
      cert: fs.readFileSync(path.join(certs, 'node.crt')),
      key: fs.readFileSync(path.join(certs, 'node.key')),
    });
    expect(withCert.status).toBe(200);
  } finally {
    await http.stop();
    await coordinator.close();
  }
});

test('requireClientCert without ca is refused in the node and coordinator configs, naming the field', () => {
  const tls = { cert: 'server.crt', key: 'server.key', requireClientCert: true };
  expect(() => parseNodeConfig({ nodeId: 'n', name: 'N', tls }, work)).toThrow(
    expect.objectContaining({ code: 'INVALID_CONFIG', issues: [{ field: 'tls.ca', message: 'requireClientCert needs ca: the CA whose client certificates are accepted' }] }),
  );
  expect(() => parseCoordinatorConfig({ tls }, work)).toThrow(
    expect.objectContaining({ code: 'INVALID_CONFIG', issues: [{ field: 'tls.ca', message: 'requireClientCert needs ca: the CA whose client certificates are accepted' }] }),
  );
  expect(parseNodeConfig({ nodeId: 'n', name: 'N', tls: { ...tls, ca: 'ca.crt' } }, work).tls?.requireClientCert).toBe(true);
});
