import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { canonicalJson, canonicalise, parseQuery, queryHash } from '@biospec/query';
import { createKeyRing, createResearcherVerifier, type ResearcherVerifier } from '@biospec/trust';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';

// Tokens made by Debian's python3-jwcrypto (installed by scripts/setup-test-deps.mjs), an
// implementation independent of ours, sent to a real node over gRPC.
const PYTHON = '/usr/bin/python3';
const here = path.dirname(fileURLToPath(import.meta.url));
const signer = path.resolve(here, '../interop/sign_token.py');
const run = promisify(execFile);

let node: SingleNode;
let work: string;
let privateJwk: Record<string, unknown>;

beforeAll(async () => {
  node = await startSingleNode({ donors: 60 });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-jose-'));
  privateJwk = node.coordinatorKey.key.export({ format: 'jwk' }) as Record<string, unknown>;
}, 60_000);

afterAll(async () => {
  await node?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Asynchronous on purpose: the node under test runs in this process and must keep serving. */
async function jwcrypto(header: Record<string, unknown>, claims: Record<string, unknown>, extensions: string[] = []): Promise<string> {
  const request = path.join(work, `${randomUUID()}.json`);
  fs.writeFileSync(request, JSON.stringify({ jwk: privateJwk, header, claims, extensions }));
  return (await run(PYTHON, [signer, request], { encoding: 'utf8' })).stdout.trim();
}

const QUERY = canonicalise(parseQuery({ unit: 'donors', where: { op: 'in', field: 'sex', values: ['female'] } }));
const queryHeader = () => ({ alg: 'EdDSA', kid: node.coordinatorKey.kid, typ: 'biospec-query+jwt' });
function queryClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000);
  return {
    iss: 'coordinator',
    aud: NODE_ID,
    iat,
    exp: iat + 60,
    jti: randomUUID(),
    query: JSON.parse(canonicalJson(QUERY)),
    query_hash: queryHash(QUERY),
    purpose: 'DUO:0000042',
    researcher: 'r-jose',
    project: 'jose',
    ...overrides,
  };
}

async function refusal(token: string): Promise<{ code: number; details: string }> {
  const error = await node.count(token).then(
    () => undefined,
    (reason: { code: number; details: string }) => reason,
  );
  if (error === undefined) throw new Error('the node answered');
  return { code: error.code, details: error.details };
}

describe('a node checks query tokens made by jwcrypto', () => {
  test('a well-formed jwcrypto token is answered: the refusals below are the token defects alone', async () => {
    const answer = await node.count(await jwcrypto(queryHeader(), queryClaims()));
    expect(answer.result?.nodeId).toBe(NODE_ID);
  });

  test('a crit header is refused, whether jwcrypto understands the extension (b64) or not', async () => {
    const b64 = await jwcrypto({ ...queryHeader(), b64: true, crit: ['b64'] }, queryClaims());
    expect(await refusal(b64)).toEqual({ code: GrpcStatus.UNAUTHENTICATED, details: expect.stringContaining('critical header b64 not understood') });
    const custom = await jwcrypto({ ...queryHeader(), 'x-biospec-ext': 1, crit: ['x-biospec-ext'] }, queryClaims(), ['x-biospec-ext']);
    expect(await refusal(custom)).toEqual({
      code: GrpcStatus.UNAUTHENTICATED,
      details: expect.stringContaining('critical header x-biospec-ext not understood'),
    });
  });

  test('a token whose iss is not one of the coordinator ids the node pins is refused', async () => {
    const rogue = await jwcrypto(queryHeader(), queryClaims({ iss: 'another-coordinator' }));
    expect(await refusal(rogue)).toEqual({
      code: GrpcStatus.UNAUTHENTICATED,
      details: expect.stringContaining('issuer another-coordinator not accepted'),
    });
    expect(node.node.config.coordinatorIds).toEqual(['coordinator']);
  });

  test('a jwcrypto signature re-spelled with non-zero unused bits is refused', async () => {
    const token = await jwcrypto(queryHeader(), queryClaims());
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = `${token.slice(0, -1)}${alphabet[alphabet.indexOf(token.at(-1)!) + 1]}`;
    expect(await refusal(respelled)).toEqual({
      code: GrpcStatus.UNAUTHENTICATED,
      details: expect.stringContaining('signature is not canonical base64url'),
    });
  });
});

describe('the coordinator checks researcher tokens made by jwcrypto', () => {
  let verifier: ResearcherVerifier;
  beforeAll(async () => {
    const keys = await createKeyRing([node.coordinatorKey.publicJwk]);
    verifier = createResearcherVerifier({ issuers: [{ issuer: 'coordinator', audience: 'biospec-coordinator', keys }] });
  });
  const header = () => ({ alg: 'EdDSA', kid: node.coordinatorKey.kid, typ: 'JWT' });
  const claims = (overrides: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: 'coordinator', aud: 'biospec-coordinator', sub: 'alice@example.org', iat: now, exp: now + 600, ...overrides };
  };

  test('a well-formed token is accepted', async () => {
    await expect(verifier.verify(`Bearer ${await jwcrypto(header(), claims())}`)).resolves.toMatchObject({ subject: 'alice@example.org' });
  });

  test('a token issued ten minutes in the future is refused', async () => {
    const future = await jwcrypto(header(), claims({ iat: Math.floor(Date.now() / 1000) + 600, exp: Math.floor(Date.now() / 1000) + 1200 }));
    await expect(verifier.verify(`Bearer ${future}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'issued in the future' });
  });

  test('a crit header is refused', async () => {
    const critical = await jwcrypto({ ...header(), b64: true, crit: ['b64'] }, claims());
    await expect(verifier.verify(`Bearer ${critical}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'critical header b64 not understood' });
  });
});
