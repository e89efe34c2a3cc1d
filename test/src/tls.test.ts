import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { NodeServiceClient, SiteStatus, channelCredentials, type DescribeResponse } from '@biospec/protocol';
import { addMember, initCoordinatorDir, loadCoordinatorConfig, openCoordinator, COORDINATOR_FILES } from '@biospec/coordinator';
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
    const person = coordinator.people.create({ name: 'tls' });
    const response = await coordinator.federatedCount(person, { query: { unit: 'donors' }, purpose: 'DUO:0000006', project: 'tls' });
    expect(response.sites[0]?.status).toBe(SiteStatus.SITE_STATUS_OK);
    expect(response.sites[0]?.total?.value).toBeGreaterThan(0);
  } finally {
    coordinator.close();
  }
});
