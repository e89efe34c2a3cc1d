import { Buffer } from 'node:buffer';
import { BiospecError, DisclosureKind, NodeResult } from '@biospec/protocol';
import { queryHash } from '@biospec/query';
import { createKeyRing, generateSigningKey, importSigningKey, type KeyRing, type SigningKey } from './keys.js';
import { signResult, verifyResult } from './result-token.js';

const HASH = queryHash({ unit: 'donors' });

function sampleResult(nodeId: string, hash: string = HASH): NodeResult {
  return NodeResult.fromPartial({
    nodeId,
    queryHash: hash,
    unit: 'donors',
    total: {
      value: 120,
      display: 'about 120',
      disclosure: { kind: DisclosureKind.DISCLOSURE_KIND_NOISY, threshold: 10, rounding: 10, mechanism: 'laplace', epsilon: 0.5 },
    },
    strata: [
      { key: { sex: 'female' }, figure: { display: '<10', disclosure: { kind: DisclosureKind.DISCLOSURE_KIND_BELOW_THRESHOLD, threshold: 10 } } },
    ],
    dataEpoch: 7,
    answeredAt: '2025-01-02T03:04:05Z',
    queryId: '0f8e1c3a-7f2b-4c1d-9a6e-2b3c4d5e6f70',
  });
}

let key: SigningKey;
let ring: KeyRing;

beforeAll(async () => {
  key = await importSigningKey((await generateSigningKey({ kid: 'node-a-1' })).privateJwk);
  ring = await createKeyRing([key.publicJwk]);
});

async function reasonOf(promise: Promise<unknown>): Promise<{ code: string; reason: string }> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(BiospecError);
  return { code: (error as BiospecError).code, reason: (error as BiospecError).message };
}

describe('signResult / verifyResult', () => {
  test('round trip keeps every field, with the result typ header', async () => {
    const result = sampleResult('node-a');
    const token = await signResult(result, key);
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as unknown;
    expect(header).toEqual({ alg: 'EdDSA', kid: 'node-a-1', typ: 'biospec-result+jwt' });
    await expect(verifyResult(token, ring, { expectedNodeId: 'node-a', expectedQueryHash: HASH })).resolves.toEqual(result);
  });

  test('a released figure tampered after signing does not verify', async () => {
    const [header, payload, signature] = (await signResult(sampleResult('node-a'), key)).split('.');
    const json = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as { total: { value: number } };
    json.total.value = 5000;
    const tampered = `${header}.${Buffer.from(JSON.stringify(json)).toString('base64url')}.${signature}`;
    expect(await reasonOf(verifyResult(tampered, ring))).toEqual({ code: 'UNAUTHENTICATED', reason: 'signature does not verify' });
  });

  test('another node id or query hash than expected is refused', async () => {
    const token = await signResult(sampleResult('node-a'), key);
    expect(await reasonOf(verifyResult(token, ring, { expectedNodeId: 'node-b' }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'result is from another node',
    });
    expect(await reasonOf(verifyResult(token, ring, { expectedQueryHash: 'f'.repeat(64) }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'query hash does not match',
    });
  });

  test('a key outside the ring and an empty token are refused', async () => {
    const other = await importSigningKey((await generateSigningKey({ kid: 'other' })).privateJwk);
    expect(await reasonOf(verifyResult(await signResult(sampleResult('node-a'), other), ring))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'unknown key id',
    });
    expect(await reasonOf(verifyResult('', ring))).toEqual({ code: 'UNAUTHENTICATED', reason: 'result is not signed' });
  });

  test('a signed payload without node id is refused', async () => {
    const token = await signResult(NodeResult.fromPartial({ queryHash: HASH }), key);
    expect(await reasonOf(verifyResult(token, ring))).toEqual({ code: 'UNAUTHENTICATED', reason: 'invalid result field nodeId' });
  });
});
