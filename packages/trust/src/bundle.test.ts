import { Buffer } from 'node:buffer';
import { DisclosureKind, NodeResult } from '@biospec/protocol';
import { canonicalise, queryHash, type Query } from '@biospec/query';
import { generateSigningKey, importSigningKey, type SigningKey } from './keys.js';
import { signResult } from './result-token.js';
import { ResultBundleSchema, verifyBundle, type ResultBundle } from './bundle.js';

const QUERY: Query = canonicalise({ unit: 'specimens', where: { op: 'in', field: 'sex', values: ['male'] } });
const HASH = queryHash(QUERY);

function resultOf(nodeId: string, value: number, hash: string = HASH): NodeResult {
  return NodeResult.fromPartial({
    nodeId,
    queryHash: hash,
    unit: 'specimens',
    total: { value, display: `about ${value}`, disclosure: { kind: DisclosureKind.DISCLOSURE_KIND_ROUNDED, threshold: 10, rounding: 10 } },
    dataEpoch: 3,
    answeredAt: '2025-03-01T12:00:00Z',
    queryId: 'q-1',
  });
}

async function nodeKey(nodeId: string): Promise<SigningKey> {
  return importSigningKey((await generateSigningKey({ kid: `${nodeId}-k1` })).privateJwk);
}

let keys: Record<string, SigningKey>;
let bundle: ResultBundle;

beforeAll(async () => {
  keys = { a: await nodeKey('a'), b: await nodeKey('b'), c: await nodeKey('c') };
  const signedB = await signResult(resultOf('b', 40), keys.b as SigningKey);
  const [header, payload, signature] = signedB.split('.');
  const json = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as { total: { value: number } };
  json.total.value = 4000;
  const tamperedB = `${header}.${Buffer.from(JSON.stringify(json)).toString('base64url')}.${signature}`;

  bundle = {
    version: 1,
    query_hash: HASH,
    canonical_query: QUERY,
    created_at: '2025-03-01T12:00:01Z',
    sites: [
      { node_id: 'a', status: 'ok', signed_result: await signResult(resultOf('a', 120), keys.a as SigningKey) },
      { node_id: 'b', status: 'ok', signed_result: tamperedB },
      { node_id: 'c', status: 'timeout' },
    ],
    jwks: Object.fromEntries(Object.entries(keys).map(([id, key]) => [id, { keys: [key.publicJwk] }])),
  };
});

describe('verifyBundle', () => {
  test('survives a JSON round trip and the schema', () => {
    const reloaded = JSON.parse(JSON.stringify(bundle)) as unknown;
    expect(ResultBundleSchema.safeParse(reloaded).success).toBe(true);
  });

  test('verifies the intact site and flags the tampered one and the one without an answer', async () => {
    const report = await verifyBundle(JSON.parse(JSON.stringify(bundle)) as ResultBundle);
    expect(report).toEqual([
      { node_id: 'a', verified: true, kid: 'a-k1', result: resultOf('a', 120) },
      { node_id: 'b', verified: false, reason: 'signature does not verify' },
      { node_id: 'c', verified: false, reason: 'no signed result (status timeout)' },
    ]);
  });

  test('with trusted keys from elsewhere, keys swapped into the bundle do not count', async () => {
    const forger = await importSigningKey((await generateSigningKey({ kid: 'a-k1' })).privateJwk);
    const forged: ResultBundle = {
      ...bundle,
      sites: [{ node_id: 'a', status: 'ok', signed_result: await signResult(resultOf('a', 999), forger) }],
      jwks: { a: { keys: [forger.publicJwk] } },
    };
    expect((await verifyBundle(forged))[0]?.verified).toBe(true);
    const trusted = { a: { keys: [(keys.a as SigningKey).publicJwk] } };
    expect(await verifyBundle(forged, trusted)).toEqual([{ node_id: 'a', verified: false, reason: 'signature does not verify' }]);
    expect(await verifyBundle(forged, {})).toEqual([{ node_id: 'a', verified: false, reason: 'no trusted keys for this node' }]);
  });

  test('a result for another query is refused', async () => {
    const other = queryHash({ unit: 'donors' });
    const mixed: ResultBundle = {
      ...bundle,
      sites: [{ node_id: 'a', status: 'ok', signed_result: await signResult(resultOf('a', 120, other), keys.a as SigningKey) }],
    };
    expect(await verifyBundle(mixed)).toEqual([{ node_id: 'a', verified: false, reason: 'query hash does not match' }]);
  });

  test('a bundle whose query does not match its hash verifies nothing', async () => {
    const edited: ResultBundle = { ...bundle, canonical_query: { unit: 'donors' } };
    const report = await verifyBundle(edited);
    expect(report.every((site) => !site.verified && site.reason === 'bundle query does not match its query hash')).toBe(true);
  });

  test('something that is not a bundle is INVALID_ARGUMENT', async () => {
    await expect(verifyBundle({ version: 2 } as unknown as ResultBundle)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
