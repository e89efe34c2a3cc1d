import { createKeyRing, generateSigningKey, importSigningKey, signQuery, signResult, verifyQuery, verifyResult } from '@biospec/trust';
import { DisclosureKind, type NodeResult } from '@biospec/protocol';
import { QUERY_SHAPES } from './shapes.js';
import { rate } from './stats.js';

/** Operations per second of each signature step on the query path, one core. */
export async function benchSignatures(seconds: number): Promise<{ operation: string; perSecond: number }[]> {
  const key = await importSigningKey((await generateSigningKey()).privateJwk);
  const ring = await createKeyRing([key.publicJwk]);
  const input = { query: QUERY_SHAPES[0]!.query(0), purpose: 'DUO:0000006', researcher: 'r-bench', project: 'bench', audience: 'n', issuer: 'c' };
  const tokens: string[] = [];
  const signRate = await rate(async () => tokens.push(await signQuery(input, key)), seconds);
  let i = 0;
  // Tokens are verified again and again here, so the replay cache is left out of this figure.
  const acceptAll = { remember: () => true, prune: () => undefined, close: () => undefined };
  const verifyRate = await rate(() => verifyQuery(tokens[i++ % tokens.length]!, { keys: ring, audience: 'n', replay: acceptAll }), seconds);
  const result: NodeResult = {
    nodeId: 'n',
    queryHash: 'a'.repeat(64),
    unit: 'specimens',
    total: { value: 120, display: 'about 120', disclosure: { kind: DisclosureKind.DISCLOSURE_KIND_NOISY, threshold: 10, rounding: 10, mechanism: 'laplace', epsilon: 0.1, sigma: 0, clamp: 0, sensitivity: 5, noiseScale: 50 } },
    strata: [],
    dataEpoch: 1,
    answeredAt: new Date().toISOString(),
    queryId: 'x',
    cost: 0.1,
    charged: 0.1,
    question: '',
    collectionsDigest: '',
  };
  const results: string[] = [];
  const signResultRate = await rate(async () => results.push(await signResult(result, key)), seconds);
  let j = 0;
  const verifyResultRate = await rate(() => verifyResult(results[j++ % results.length]!, ring), seconds);
  return [
    { operation: 'sign query (coordinator)', perSecond: signRate },
    { operation: 'verify query (node; replay check excluded)', perSecond: verifyRate },
    { operation: 'sign result (node)', perSecond: signResultRate },
    { operation: 'verify result (coordinator)', perSecond: verifyResultRate },
  ];
}
