import fs from 'node:fs';
import path from 'node:path';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { generateSigningKey, importSigningKey, signQuery, type SigningKey } from '@biospec/trust';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';

let node: SingleNode;
let next: SigningKey;

beforeAll(async () => {
  node = await startSingleNode({ donors: 40 });
  next = await importSigningKey((await generateSigningKey()).privateJwk);
}, 60_000);

afterAll(async () => {
  await node?.stop();
});

const ask = (key: SigningKey) =>
  signQuery({ query: { unit: 'donors' }, purpose: 'DUO:0000006', researcher: 'r-rot', project: 'p', audience: NODE_ID, issuer: 'coordinator' }, key).then((t) =>
    node.count(t).then(
      () => 'answered',
      (e: ServiceError) => `${GrpcStatus[e.code]}: ${e.details}`,
    ),
  );

/** Writes the node's pinned coordinator keys the way an operator would, then waits out the reload check. */
async function pin(keys: SigningKey[]): Promise<void> {
  fs.writeFileSync(path.join(node.dir, 'coordinator.jwks.json'), JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
  await new Promise((resolve) => setTimeout(resolve, 1200));
}

test('coordinator keys rotate without restarting the node: add the new key, switch, retire the old one', async () => {
  const old = node.coordinatorKey;
  expect(await ask(old)).toBe('answered');
  expect(await ask(next)).toMatch(/UNAUTHENTICATED: .*unknown key id/);

  await pin([old, next]);
  expect(await ask(old)).toBe('answered');
  expect(await ask(next)).toBe('answered');

  await pin([next]);
  expect(await ask(next)).toBe('answered');
  expect(await ask(old)).toMatch(/UNAUTHENTICATED: .*unknown key id/);
});

test('a broken keys file keeps the keys in force', async () => {
  fs.writeFileSync(path.join(node.dir, 'coordinator.jwks.json'), '{"keys": [');
  await new Promise((resolve) => setTimeout(resolve, 1200));
  expect(await ask(next)).toBe('answered');
});
