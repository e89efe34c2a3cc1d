/**
 * A node that was told of a revocation keeps it through a crash: a node in its own process
 * (`biospec node start`) gets a signed revocation list pushed, is killed with SIGKILL, starts
 * again on the same folder, and still refuses a granted question signed under an older list.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metadata, credentials } from '@grpc/grpc-js';
import { createNodeAccessState, signRevocationList } from '@biospec/access';
import { NodeServiceClient } from '@biospec/protocol';
import { generateSigningKey, importSigningKey, signQuery, type SigningKey } from '@biospec/trust';
import { startChildNode, type ChildNode } from './harness/child-node.js';
import { BIOSPEC_BIN } from './harness/cli.js';

let dir: string;
let node: ChildNode | undefined;
let restarted: ChildProcess | undefined;
let key: SigningKey;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-node-revocations-'));
  const { privateJwk, publicJwk } = await generateSigningKey({ kid: 'coordinator-1' });
  key = await importSigningKey(privateJwk);
  const coordinatorJwks = path.join(dir, 'coordinator.jwks.json');
  fs.writeFileSync(coordinatorJwks, JSON.stringify({ keys: [publicJwk] }));
  node = await startChildNode(path.join(dir, 'node'), { nodeId: 'crash-site', coordinatorJwks });
}, 60_000);

afterAll(async () => {
  for (const child of [node?.process, restarted]) {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

function call<T>(address: string, run: (client: NodeServiceClient, done: (err: Error | null, res?: T) => void) => void): Promise<T> {
  const client = new NodeServiceClient(address, credentials.createInsecure());
  return new Promise<T>((resolve, reject) => run(client, (err, res) => (err ? reject(err) : resolve(res as T)))).finally(() => client.close());
}

test('a pushed revocation list survives SIGKILL: after restart an older list is still refused', async () => {
  const list = signRevocationList({ issuer: 'coordinator', version: 3, revoked: ['g-revoked'] }, key);
  const pushed = await call<{ version: number }>(node!.address, (c, done) =>
    c.pushRevocations({ revocationList: list }, new Metadata(), { deadline: Date.now() + 10_000 }, done),
  );
  expect(pushed.version).toBe(3);

  const exited = new Promise((resolve) => node!.process.once('exit', resolve));
  node!.process.kill('SIGKILL');
  await exited;
  const stateFile = path.join(dir, 'node', 'state', 'access.db');
  const state = createNodeAccessState(stateFile);
  expect(state.revocations()).toMatchObject({ version: 3, revoked: ['g-revoked'] });
  state.close();

  restarted = spawn(process.execPath, [BIOSPEC_BIN, 'node', 'start', '--dir', path.join(dir, 'node')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    restarted!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const serving = /serving on (\S+)/.exec(out);
      if (serving) resolve(serving[1]!);
    });
    restarted!.once('exit', (code) => reject(new Error(`node exited with ${code}`)));
  });
  const signedQuery = await signQuery(
    {
      query: { unit: 'specimens' },
      purpose: 'DUO:0000006',
      researcher: 'r-someone',
      project: 'req-x',
      audience: 'crash-site',
      issuer: 'coordinator',
      question: 'granted-availability',
      request: 'req-x',
      revocations: { version: 2, sha256: 'e'.repeat(64) },
    },
    key,
  );
  await expect(
    call(address, (c, done) => c.grantedAvailability({ signedQuery, grant: 'x.y.z', revocationList: '', recipientJwkJson: '{}' }, new Metadata(), { deadline: Date.now() + 10_000 }, done)),
  ).rejects.toMatchObject({ details: expect.stringContaining('FAILED_PRECONDITION: the question carries revocation list version 2, older than version 3 this node has seen') });
}, 60_000);
