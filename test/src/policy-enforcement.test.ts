import path from 'node:path';
import { DisclosureKind, FederatedCountResponse, SiteStatus } from '@biospec/protocol';
import { DEFAULT_POLICY, EXACT_POLICY } from '@biospec/privacy';
import { referenceCount } from '@biospec/query';
import { issueResearcher } from '@biospec/coordinator';
import { EXACT_SITES, startExactFederation, type ExactFederation } from './harness/exact-federation.js';
import { biospec } from './harness/cli.js';

let fed: ExactFederation;
const [held, budgeted, plain] = EXACT_SITES.map((s) => s.id) as [string, string, string];

beforeAll(async () => {
  fed = await startExactFederation({
    donorsPerSite: 200,
    rateLimits: [{ limit: 12, windowSeconds: 60 }],
    sites: [
      { ...EXACT_SITES[0]!, policy: { ...EXACT_POLICY, release: 'hold' } },
      {
        ...EXACT_SITES[1]!,
        policy: { ...DEFAULT_POLICY, budget: { epsilon: 0.2, windowDays: 30 }, rateLimits: [{ limit: 1000, windowSeconds: 60 }] },
      },
      EXACT_SITES[2]!,
    ],
  });
}, 60_000);

afterAll(async () => {
  await fed?.stop();
});

const ask = async (where: unknown, token?: string) => {
  const { status, body } = await fed.rest('/api/v1/count', { query: { unit: 'aliquots', where }, purpose: 'DUO:0000006', project: 'policies' }, token);
  return { status, body, response: status === 200 ? FederatedCountResponse.fromJSON(body) : undefined };
};
const site = (r: FederatedCountResponse | undefined, id: string) => r?.sites.find((s) => s.nodeId === id);
const nodeDir = (id: string) => path.join(fed.federation.dir, 'nodes', id);
const female = { op: 'in', field: 'sex', values: ['female'] };

test('hold mode: the site is HELD until its steward releases, then the same question gets the figure', async () => {
  const first = await ask(female);
  expect(site(first.response, held)?.status).toBe(SiteStatus.SITE_STATUS_HELD);
  expect(site(first.response, held)?.total?.value).toBeUndefined();
  expect(site(first.response, plain)?.status).toBe(SiteStatus.SITE_STATUS_OK);

  const listed = await biospec(['node', 'holds', 'list', '--dir', nodeDir(held)]);
  expect(listed.code).toBe(0);
  const id = listed.stdout.trim().split(/\s+/)[0]!;
  expect(listed.stdout).toContain('"female"');
  expect((await biospec(['node', 'holds', 'release', id, '--dir', nodeDir(held), '--steward', 'steward@northbridge'])).code).toBe(0);

  const again = await ask(female);
  const released = site(again.response, held);
  expect(released?.status).toBe(SiteStatus.SITE_STATUS_OK);
  const truth = referenceCount({ unit: 'aliquots', where: female as never }, fed.records.get(held)!).total;
  expect(released?.total?.value).toBe(truth);
});

test('hold mode: a declined question is refused with the steward\'s reason', async () => {
  const male = { op: 'in', field: 'sex', values: ['male'] };
  await ask(male);
  const listed = await biospec(['node', 'holds', 'list', '--dir', nodeDir(held)]);
  const id = listed.stdout.split('\n').find((l) => l.includes('"male"'))!.split(/\s+/)[0]!;
  await biospec(['node', 'holds', 'decline', id, '--dir', nodeDir(held), '--steward', 'steward@northbridge', '--reason', 'too identifying']);
  const after = await ask(male);
  expect(site(after.response, held)?.status).toBe(SiteStatus.SITE_STATUS_REJECTED);
  expect(site(after.response, held)?.message).toMatch(/too identifying/);
});

test('privacy budget: new questions spend it, a repeat is free, a spent budget is RESOURCE_EXHAUSTED at that site only', async () => {
  // A researcher of their own, so the questions of the other tests have not spent this budget.
  const { token } = await issueResearcher(path.join(fed.federation.dir, 'coordinator'), { subject: 'budget@example.org' });
  const a = await ask({ op: 'age_range', min: 50 }, token);
  const b = await ask({ op: 'age_range', min: 50 }, token);
  expect(site(a.response, budgeted)?.budget?.remaining).toBeCloseTo(0.1);
  expect(site(a.response, budgeted)).toMatchObject({ cost: 0.1, charged: 0.1 });
  expect(site(b.response, budgeted)?.budget?.remaining).toBeCloseTo(0.1);
  expect(site(b.response, budgeted)).toMatchObject({ cost: 0.1, charged: 0 });
  expect(site(b.response, budgeted)?.total).toEqual(site(a.response, budgeted)?.total);
  expect(site(a.response, budgeted)?.total?.disclosure?.kind).toBe(DisclosureKind.DISCLOSURE_KIND_NOISY);

  await ask({ op: 'age_range', min: 60 }, token);
  const spent = await ask({ op: 'age_range', min: 70 }, token);
  const refused = site(spent.response, budgeted);
  expect(refused?.status).toBe(SiteStatus.SITE_STATUS_REJECTED);
  expect(refused?.message).toMatch(/privacy budget exhausted/);
  expect(refused?.message).toMatch(/this question costs ε=0.1; some comes back at/);
  expect(site(spent.response, plain)?.status).toBe(SiteStatus.SITE_STATUS_OK);
});

test('the coordinator rate limit answers 429 with a retry hint', async () => {
  let last = { status: 200, body: {} as any };
  for (let i = 0; i < 15 && last.status === 200; i++) {
    last = await fed.rest('/api/v1/count', { query: { unit: 'donors' }, purpose: 'DUO:0000006', project: 'rate' });
  }
  expect(last.status).toBe(429);
  expect(last.body.error.code).toBe('RATE_LIMITED');
  expect(last.body.error.message).toMatch(/retry in/);
});
