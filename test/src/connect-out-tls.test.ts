import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SiteStatus } from '@biospec/protocol';
import type { NodeConfig } from '@biospec/node';
import { startConnectNetwork, type ConnectNetwork } from './harness/connect-network.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const makeCerts = path.resolve(here, '../../deploy/tls/make-certs.sh');

let certs: string;
let net: ConnectNetwork;

beforeAll(async () => {
  certs = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-connect-tls-'));
  // The same script the docs tell operators to use.
  execFileSync('bash', [makeCerts, certs, 'hospital', 'coordinator'], { stdio: 'ignore' });
  const cert = (name: string) => ({ cert: path.join(certs, `${name}.crt`), key: path.join(certs, `${name}.key`) });
  const ca = path.join(certs, 'ca.crt');
  net = await startConnectNetwork({
    nodes: [
      { id: 'hospital', mode: 'connect-out' },
      { id: 'anonymous', mode: 'connect-out' },
      { id: 'plaintext', mode: 'connect-out' },
    ],
    coordinatorConnectTls: { ...cert('coordinator'), ca, requireClientCert: true },
    configure: (spec, config): NodeConfig => {
      const out = config.connectOut!;
      if (spec.id === 'hospital') return { ...config, connectOut: { ...out, tls: { ca, ...cert('hospital') } } };
      if (spec.id === 'anonymous') return { ...config, connectOut: { ...out, tls: { ca } } };
      return config;
    },
  });
}, 60_000);

afterAll(async () => {
  await net?.stop();
  fs.rmSync(certs, { recursive: true, force: true });
});

test('over mutual TLS, a node with a certificate of the network connects out and answers; one without, or in plaintext, never gets in', async () => {
  await net.waitFor('the hospital to connect over mutual TLS', () => net.coordinator.connectLinks.connected('hospital'));
  const stuck = ['anonymous', 'plaintext'].map((id) => net.nodes.get(id)!.server);
  await net.waitFor('the others to fail twice', () => stuck.every((s) => s.connectOut()!.failures >= 2));
  for (const server of stuck) {
    // Between two attempts or in one: never connected either way.
    expect(server.connectOut()).toMatchObject({ state: expect.stringMatching(/^(retrying|connecting)$/), connections: 0, lastError: expect.stringMatching(/^UNAVAILABLE/) });
  }

  const response = await net.ask({ unit: 'specimens' });
  expect(response.sites.map((s) => [s.nodeId, s.status])).toEqual([
    ['hospital', SiteStatus.SITE_STATUS_OK],
    ['anonymous', SiteStatus.SITE_STATUS_UNREACHABLE],
    ['plaintext', SiteStatus.SITE_STATUS_UNREACHABLE],
  ]);
  // Refused by TLS before any proof was read.
  expect(net.coordinator.connectLinks.stats()).toMatchObject({ accepted: 1, refused: 0 });
}, 60_000);
