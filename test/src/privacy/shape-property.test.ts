/**
 * Everything a researcher sees depends on the data only through noised
 * figures: for random catalogues that differ in one donor and random
 * questions, the shape of every reply a real node gives (which cells, each
 * figure's protection metadata, the charge, the budget, refusals with their
 * status and message) is identical. Only figure values and their kind
 * (a number or "<threshold", decided after noise) may differ.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { pino } from 'pino';
import { NodeServiceClient, type NodeResult, type ReleasedFigure } from '@biospec/protocol';
import { DEFAULT_POLICY, type DisclosurePolicy } from '@biospec/privacy';
import { importCsv } from '@biospec/catalogue';
import { writeCsv } from '@biospec/synthetic';
import type { Query, SpecimenRecord } from '@biospec/query';
import { queryArb, recordsArb } from '@biospec/query/testing';
import { generateSigningKey, importSigningKey, signQuery, type SigningKey } from '@biospec/trust';
import { initNodeDir, loadNodeConfig, openNode, startNodeServer } from '@biospec/node';

const NODE = 'shape-node';
const SECRET = Buffer.alloc(32, 7);

let root: string;
let key: SigningKey;
let jwks: string;
let runs = 0;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-shape-'));
  key = await importSigningKey((await generateSigningKey()).privateJwk);
  jwks = path.join(root, 'coordinator.jwks.json');
  fs.writeFileSync(jwks, JSON.stringify({ keys: [key.publicJwk] }));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** What a reply shows apart from the noised figures themselves. */
function shapeOf(reply: { result?: NodeResult; code?: number; message?: string }) {
  // Times are the clock's, not the data's: a message names when budget comes back.
  if (reply.result === undefined) return { refused: reply.code, message: reply.message?.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>') };
  const figure = (f: ReleasedFigure | undefined) => f && { ...f.disclosure, kind: undefined };
  const r = reply.result;
  return {
    unit: r.unit,
    total: figure(r.total),
    strata: r.strata.map((s) => ({ key: s.key, disclosure: figure(s.figure) })),
    dataEpoch: r.dataEpoch,
    cost: r.cost,
    charged: r.charged,
    budget: r.budget && { ...r.budget, renewsAt: r.budget.renewsAt !== '' },
  };
}

/** A real node over `records`, asked `queries` in order by one researcher; the shapes of its replies. */
async function shapes(records: SpecimenRecord[], queries: Query[], policy: DisclosurePolicy) {
  const dir = path.join(root, `node-${runs++}`);
  await initNodeDir(dir, { nodeId: NODE, name: 'Shape', listen: '127.0.0.1:0', coordinatorJwks: jwks, policy });
  fs.writeFileSync(path.join(dir, 'noise-secret'), SECRET);
  const csv = path.join(dir, 'export.csv');
  await writeCsv(records, csv);
  const node = await openNode(loadNodeConfig(path.join(dir, 'node.json')), { logger: pino({ level: 'silent' }) });
  await importCsv(node.catalogue, csv, { actor: 'test' });
  const server = await startNodeServer(node);
  const client = new NodeServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
  try {
    const out = [];
    for (const query of queries) {
      const token = await signQuery({ query, purpose: 'DUO:0000006', researcher: 'r-prober', project: 'shape', audience: NODE, issuer: 'coordinator' }, key);
      out.push(
        shapeOf(
          await new Promise<{ result?: NodeResult; code?: number; message?: string }>((resolve) =>
            client.count({ signedQuery: token }, new Metadata(), { deadline: Date.now() + 10_000 }, (err: ServiceError | null, res) =>
              resolve(err ? { code: err.code, message: err.details } : { result: res.result as NodeResult }),
            ),
          ),
        ),
      );
    }
    return out;
  } finally {
    client.close();
    await server.stop(100);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const neighbours = recordsArb(20)
  .map((records) => records.map((r) => ({ ...r, status: r.status === 'withdrawn' ? ('available' as const) : r.status })))
  .chain((records) => {
    const donors = [...new Set(records.map((r) => r.donor_id))];
    return fc.record({ records: fc.constant(records), removed: donors.length > 1 ? fc.constantFrom(...donors) : fc.constant('') });
  })
  .filter(({ removed }) => removed !== '');

test.each([
  ['the default policy', DEFAULT_POLICY],
  // A small budget, so that refusals for budget are among the replies compared.
  ['a budget of three questions', { ...DEFAULT_POLICY, budget: { epsilon: 0.3, windowDays: 30 } }],
  ['hold mode', { ...DEFAULT_POLICY, release: 'hold' as const }],
])('catalogues one donor apart give replies of identical shape (%s)', async (_name, policy) => {
  await fc.assert(
    fc.asyncProperty(neighbours, fc.array(queryArb, { minLength: 1, maxLength: 6 }), async ({ records, removed }, queries) => {
      const without = records.filter((r) => r.donor_id !== removed);
      const policyFor = { ...policy, rateLimits: [{ limit: 100_000, windowSeconds: 60 }] };
      // The two nodes are independent (folders, ports): asked side by side, as they mostly wait for their workers to start.
      const [a, b] = await Promise.all([shapes(without, queries, policyFor), shapes(records, queries, policyFor)]);
      expect(a).toEqual(b);
    }),
    { numRuns: 12 },
  );
}, 600_000);
