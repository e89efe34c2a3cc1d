/**
 * A site's held questions through the coordinator's REST API (`/api/v1/sites/{nodeId}/holds`),
 * against a real coordinator and real nodes: only a steward of that site may list or decide;
 * a decline needs a reason; the node's refusals reach REST with the status of their code; the
 * released question's repeat gets the figures, the declined one's the reason. And the same calls
 * reach a node that only connects out, over its link.
 */
import path from 'node:path';
import { FederatedCountResponse, SiteStatus } from '@biospec/protocol';
import { EXACT_POLICY } from '@biospec/privacy';
import { referenceCount } from '@biospec/query';
import { issueResearcher } from '@biospec/coordinator';
import { EXACT_SITES, startExactFederation, type ExactFederation } from './harness/exact-federation.js';
import { startConnectNetwork, type ConnectNetwork } from './harness/connect-network.js';

const [held, plain, closed] = EXACT_SITES.map((s) => s.id) as [string, string, string];
const female = { op: 'in', field: 'sex', values: ['female'] };
const male = { op: 'in', field: 'sex', values: ['male'] };

let fed: ExactFederation;

beforeAll(async () => {
  fed = await startExactFederation({
    donorsPerSite: 150,
    sites: [{ ...EXACT_SITES[0]!, policy: { ...EXACT_SITES[0]!.policy, release: 'hold' } }, EXACT_SITES[1]!, { ...EXACT_SITES[2]!, policy: { ...EXACT_SITES[2]!.policy, release: 'hold' } }],
    // The demo lets every node take its steward's decisions from the coordinator; this one keeps them on its own machine.
    nodeConfig: (site, config) => (site.id === closed ? { ...config, holds: { decisionsFromCoordinator: false } } : config),
  });
}, 120_000);

afterAll(async () => {
  await fed?.stop();
});

const tokenOf = (role: string) => fed.federation.accounts.find((a) => a.roles.includes(role as never))!.token;
const holdsOf = (site: string) => `/api/v1/sites/${site}/holds`;
const ask = async (where: unknown) => {
  const { status, body } = await fed.rest('/api/v1/count', { query: { unit: 'aliquots', where }, purpose: 'DUO:0000006', project: 'steward-rest' });
  expect(status).toBe(200);
  return FederatedCountResponse.fromJSON(body);
};
const siteOf = (response: FederatedCountResponse, id: string) => response.sites.find((s) => s.nodeId === id);

test('only the steward of that site may list its holds (403 for staff, researchers and other stewards)', async () => {
  await ask(female);
  for (const role of ['staff', 'researcher', `steward:${plain}`]) {
    const { status, body } = await fed.rest(holdsOf(held), undefined, tokenOf(role));
    expect({ role, status, code: body.error?.code }).toEqual({ role, status: 403, code: 'PERMISSION_DENIED' });
  }
  expect((await fed.rest(holdsOf(held), undefined, '')).status).toBe(401);
  const { status, body } = await fed.rest(holdsOf(held), undefined, tokenOf(`steward:${held}`));
  expect(status).toBe(200);
  expect(body).toMatchObject({ nodeId: held, total: 1 });
  expect(body.holds[0]).toMatchObject({ status: 'held', project: 'steward-rest', purpose: 'DUO:0000006', decidedBy: '' });
  expect(JSON.stringify(body)).not.toMatch(/"value"|"display"|"released"/);
});

test('the steward releases with a reason; the repeat gets the figures; deciding again is 412, an unknown id 404', async () => {
  const steward = tokenOf(`steward:${held}`);
  const [hold] = (await fed.rest(`${holdsOf(held)}?status=held`, undefined, steward)).body.holds;
  const released = await fed.rest(`${holdsOf(held)}/${hold.id}/release`, { reason: 'a coarse aggregate' }, steward);
  expect(released.status).toBe(200);
  expect(released.body.hold).toMatchObject({ id: hold.id, status: 'released', decidedBy: `Steward of ${held}`, reason: 'a coarse aggregate' });

  const again = siteOf(await ask(female), held);
  expect(again?.status).toBe(SiteStatus.SITE_STATUS_OK);
  expect(again?.total?.value).toBe(referenceCount({ unit: 'aliquots', where: female as never }, fed.records.get(held)!).total);

  const twice = await fed.rest(`${holdsOf(held)}/${hold.id}/release`, {}, steward);
  expect({ status: twice.status, code: twice.body.error.code }).toEqual({ status: 412, code: 'FAILED_PRECONDITION' });
  expect(twice.body.error.message).toMatch(new RegExp(`^node ${held}: question .* is already released$`));
  const unknown = await fed.rest(`${holdsOf(held)}/no-such-hold/release`, {}, steward);
  expect({ status: unknown.status, code: unknown.body.error.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
});

test('a decline needs a reason (400 at the field); declined, the repeat is refused with that reason', async () => {
  await ask(male);
  const steward = tokenOf(`steward:${held}`);
  const hold = (await fed.rest(`${holdsOf(held)}?status=held`, undefined, steward)).body.holds[0];
  for (const body of [{}, { reason: '   ' }]) {
    const refused = await fed.rest(`${holdsOf(held)}/${hold.id}/decline`, body, steward);
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues[0].field).toBe('reason');
  }
  const declined = await fed.rest(`${holdsOf(held)}/${hold.id}/decline`, { reason: 'too identifying for this site' }, steward);
  expect(declined.body.hold).toMatchObject({ status: 'declined', reason: 'too identifying for this site' });
  const after = siteOf(await ask(male), held);
  expect(after?.status).toBe(SiteStatus.SITE_STATUS_REJECTED);
  expect(after?.message).toMatch(/the steward declined this question: too identifying for this site/);
});

test("a node that keeps decisions on its own machine refuses through the coordinator: 412 with the node's reason", async () => {
  const { status, body } = await fed.rest(holdsOf(closed), undefined, tokenOf(`steward:${closed}`));
  expect({ status, code: body.error.code }).toEqual({ status: 412, code: 'FAILED_PRECONDITION' });
  expect(body.error.message).toContain('holds.decisionsFromCoordinator is off');
});

describe('over the connect-out link', () => {
  let net: ConnectNetwork;
  afterAll(async () => {
    await net?.stop();
  });

  test('a node with no inbound port lists its holds and takes the decision over its link', async () => {
    net = await startConnectNetwork({
      nodes: [{ id: 'hospital', mode: 'connect-out' }],
      policy: { ...EXACT_POLICY, release: 'hold', rateLimits: [{ limit: 100000, windowSeconds: 60 }] },
      configure: (_spec, config) => ({ ...config, holds: { decisionsFromCoordinator: true } }),
    });
    const hospital = net.nodes.get('hospital')!;
    await net.waitFor('the hospital to connect', () => hospital.server.connectOut()?.state === 'connected');
    expect(hospital.server.port).toBe(0);
    const first = await net.ask({ unit: 'donors', where: female as never });
    expect(first.sites[0]?.status).toBe(SiteStatus.SITE_STATUS_HELD);

    const { token } = await issueResearcher(path.join(net.dir, 'coordinator'), { subject: 'steward@hospital.example.org', name: 'Hospital Steward', roles: ['steward:hospital'] });
    const steward = await net.coordinator.authenticate(`Bearer ${token}`);
    const listed = await net.coordinator.siteHolds(steward, 'hospital');
    expect(listed.holds).toHaveLength(1);
    const decided = await net.coordinator.decideSiteHold(steward, 'hospital', listed.holds[0]!.id, { action: 'release' });
    expect(decided).toMatchObject({ status: 'released', decidedBy: 'Hospital Steward' });
    expect((await net.ask({ unit: 'donors', where: female as never })).sites[0]?.status).toBe(SiteStatus.SITE_STATUS_OK);
  }, 60_000);
});
