import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson, canonicalise, parseQuery, queryHash } from '@biospec/query';
import { signQuery, verifyBundle, type ResultBundle } from '@biospec/trust';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';

// Debian's python3 with python3-grpcio and python3-jwcrypto, installed by scripts/setup-test-deps.mjs.
const PYTHON = '/usr/bin/python3';
const here = path.dirname(fileURLToPath(import.meta.url));
const interop = path.resolve(here, '../interop');
const protoDir = path.resolve(here, '../../proto');

let node: SingleNode;
let work: string;

beforeAll(async () => {
  node = await startSingleNode({ donors: 100 });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-interop-'));
}, 60_000);

afterAll(async () => {
  await node?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

// Asynchronous on purpose: the node under test runs in this process and must keep serving.
const run = promisify(execFile);
const python = async (args: string[]) => (await run(PYTHON, args, { encoding: 'utf8' })).stdout;

test('python3-grpcio calling a node with an unsigned query gets UNAUTHENTICATED', async () => {
  const stubs = path.join(work, 'stubs');
  fs.mkdirSync(stubs);
  const protos = fs.readdirSync(path.join(protoDir, 'biospecimen/v1')).map((f) => path.join(protoDir, 'biospecimen/v1', f));
  await python(['-m', 'grpc_tools.protoc', `-I${protoDir}`, `--python_out=${stubs}`, `--grpc_python_out=${stubs}`, ...protos]);
  for (const pkg of ['biospecimen', 'biospecimen/v1']) fs.writeFileSync(path.join(stubs, pkg, '__init__.py'), '');

  const unsigned = JSON.parse(await python([path.join(interop, 'call_node.py'), stubs, `127.0.0.1:${node.server.port}`, '']));
  expect(unsigned.code).toBe('UNAUTHENTICATED');
  expect(unsigned.details).toMatch(/not signed/);

  const garbage = JSON.parse(await python([path.join(interop, 'call_node.py'), stubs, `127.0.0.1:${node.server.port}`, 'a.b.c']));
  expect(garbage.code).toBe('UNAUTHENTICATED');
});

test('python3-jwcrypto verifies a saved signed result bundle, and catches a tampered one', async () => {
  const query = canonicalise(parseQuery({ unit: 'donors', where: { op: 'in', field: 'material_type', values: ['serum', 'plasma'] } }));
  const token = await signQuery(
    { query, purpose: 'DUO:0000042', researcher: 'r-interop', project: 'interop', audience: NODE_ID, issuer: 'coordinator' },
    node.coordinatorKey,
  );
  const answer = await node.count(token);
  const bundle: ResultBundle = {
    version: 1,
    query_hash: queryHash(query),
    canonical_query: JSON.parse(canonicalJson(query)),
    created_at: new Date().toISOString(),
    sites: [{ node_id: NODE_ID, status: 'SITE_STATUS_OK', signed_result: answer.signedResult }],
    jwks: { [NODE_ID]: { keys: [node.node.signingKey.publicJwk] } },
  };
  const good = path.join(work, 'good.bundle.json');
  fs.writeFileSync(good, JSON.stringify(bundle));
  const [verdict] = (await python([path.join(interop, 'verify_bundle.py'), good])).trim().split('\n').map((l) => JSON.parse(l));
  expect(verdict).toMatchObject({ node_id: NODE_ID, verified: true, query_hash: bundle.query_hash });
  expect(Number(verdict.total.value)).toBe(answer.result?.total?.value);
  expect((await verifyBundle(bundle))[0]?.verified).toBe(true);

  const [h, p, s] = answer.signedResult.split('.');
  const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
  payload.total.value = String(Number(payload.total.value) + 100);
  const tampered = { ...bundle, sites: [{ ...bundle.sites[0]!, signed_result: `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}` }] };
  const bad = path.join(work, 'bad.bundle.json');
  fs.writeFileSync(bad, JSON.stringify(tampered));
  const [badVerdict] = (await python([path.join(interop, 'verify_bundle.py'), bad])).trim().split('\n').map((l) => JSON.parse(l));
  expect(badVerdict).toMatchObject({ verified: false, reason: 'signature does not verify' });
  expect((await verifyBundle(tampered))[0]?.verified).toBe(false);
});
