import { status as GrpcStatus } from '@grpc/grpc-js';
import { NodeServiceService, SiteStatus, type FederatedCountResponse } from '@biospec/protocol';
import { DEFAULT_POLICY } from '@biospec/privacy';
import { readNodeStatus } from '@biospec/node';
import { membershipNotes } from '@biospec/coordinator';
import type { DirectoryEntry } from '@biospec/directory';
import type { Query } from '@biospec/query';
import { startConnectNetwork, type ConnectNetwork } from './harness/connect-network.js';

const PLAIN: Query = { unit: 'specimens' };
const STRATIFIED: Query = { unit: 'donors', where: { op: 'consent_permits', use: 'DUO:0000042' }, stratify: ['material_type', 'sex'] };

const statusOf = (response: FederatedCountResponse, nodeId: string) => response.sites.find((s) => s.nodeId === nodeId)?.status;

describe('a node with no listening port answers through connect-out', () => {
  let net: ConnectNetwork;
  beforeAll(async () => {
    net = await startConnectNetwork({ nodes: [{ id: 'hospital', mode: 'connect-out' }, { id: 'institute', mode: 'direct' }] });
  }, 60_000);
  afterAll(async () => {
    await net?.stop();
  });

  const answersFromHospital = async () => statusOf(await net.ask(PLAIN), 'hospital') === SiteStatus.SITE_STATUS_OK;

  test('it has no port, connects, says so, and its answers are signed, verified and merged like any other', async () => {
    const hospital = net.nodes.get('hospital')!;
    expect(hospital.config.listen).toBeNull();
    expect(hospital.server.port).toBe(0);
    await net.waitFor('the hospital to connect', () => hospital.server.connectOut()?.state === 'connected');
    expect(net.coordinator.connectLinks.connected('hospital')).toBe(true);
    expect(readNodeStatus(hospital.config)).toMatchObject({ listening: null, running: true, connectOut: { state: 'connected', coordinatorId: 'coordinator' } });

    for (const query of [PLAIN, STRATIFIED]) {
      const response = await net.ask(query);
      expect(response.sites.map((s) => [s.nodeId, s.status])).toEqual([
        ['hospital', SiteStatus.SITE_STATUS_OK],
        ['institute', SiteStatus.SITE_STATUS_OK],
      ]);
      // The coordinator checked the hospital's signature with its pinned keys; the answer is the node's own.
      expect(response.sites[0]!.signedResult.split('.')).toHaveLength(3);
      expect(response.total?.releasedSum).toBe(response.sites.reduce((sum, s) => sum + (s.total?.value ?? 0), 0));
    }
    // The coordinator lists it like any member: Describe travels over the link too.
    const listed = await net.coordinator.listNodes();
    expect(listed.find((n) => n.nodeId === 'hospital')).toMatchObject({ endpoint: 'connect-out', lastStatus: SiteStatus.SITE_STATUS_OK });
    // With a directory, what it says of a member sits beside what its connection says (biospec directory, the log).
    const member = net.coordinator.members.find((m) => m.id === 'hospital')!;
    const announced = { nodeId: 'hospital', stale: false, descriptor: { endpoint: 'connect-out', jwks: member.jwks } } as unknown as DirectoryEntry;
    expect(membershipNotes(announced, member, net.coordinator.connectLinks)).toEqual([expect.stringMatching(/^connected out since \S+ from 127\.0\.0\.1:\d+: asked over that connection$/)]);
  });

  test('availability questions and the access calls travel over the link too', async () => {
    const hospital = net.nodes.get('hospital')!;
    await net.waitFor('the hospital to connect', () => hospital.server.connectOut()?.state === 'connected');
    const availability = await net.askAvailability(PLAIN);
    expect(availability.sites.map((s) => [s.nodeId, s.status])).toEqual([
      ['hospital', SiteStatus.SITE_STATUS_OK],
      ['institute', SiteStatus.SITE_STATUS_OK],
    ]);
    const site = availability.sites[0]!;
    expect(site.signedResult.split('.')).toHaveLength(3);
    expect(site.collections.length).toBeGreaterThan(0);
    // A revocation push reaches the node's own check (which refuses a list it cannot verify),
    // not the link's "not offered over connect-out".
    const member = net.coordinator.members.find((m) => m.id === 'hospital')!;
    const refused = await member.call(NodeServiceService.pushRevocations, { revocationList: 'not-a-list' }, new Date(Date.now() + 5000)).then(
      () => undefined,
      (err: { code?: number; details?: string }) => err,
    );
    expect(refused?.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(refused?.details).toMatch(/revocation list/);
    expect(refused?.details).not.toMatch(/not offered over connect-out/);
  });

  test('after the coordinator restarts, the node dials again and answers', async () => {
    const before = await net.ask(PLAIN);
    await net.restartCoordinator();
    await net.waitFor('the hospital to answer the new coordinator', answersFromHospital);
    const after = await net.ask(PLAIN);
    expect(after.sites.map((s) => s.status)).toEqual([SiteStatus.SITE_STATUS_OK, SiteStatus.SITE_STATUS_OK]);
    expect(after.total?.releasedSum).toBe(before.total?.releasedSum);
    expect(net.nodes.get('hospital')!.server.connectOut()?.connections).toBeGreaterThanOrEqual(2);
  }, 60_000);

  test('after the node restarts, it connects again and answers; while it is down it is unreachable at once', async () => {
    const hospital = net.nodes.get('hospital')!;
    await hospital.server.stop(200);
    await net.waitFor('the coordinator to see the link end', () => !net.coordinator.connectLinks.connected('hospital'));
    expect(readNodeStatus(hospital.config)).toMatchObject({ running: false });
    const deadlineMs = 10_000;
    const started = Date.now();
    const down = await net.ask(PLAIN, deadlineMs);
    expect(statusOf(down, 'hospital')).toBe(SiteStatus.SITE_STATUS_UNREACHABLE);
    const member = net.coordinator.members.find((m) => m.id === 'hospital')!;
    const announced = { nodeId: 'hospital', stale: false, descriptor: { endpoint: 'connect-out', jwks: member.jwks } } as unknown as DirectoryEntry;
    expect(membershipNotes(announced, member, net.coordinator.connectLinks)).toEqual([
      'connect-out member with no connection: unreachable until it dials in (it announces itself: check its connectOut address and TLS)',
    ]);
    expect(statusOf(down, 'institute')).toBe(SiteStatus.SITE_STATUS_OK);
    // Not connected means unreachable now, not after the deadline.
    expect(Date.now() - started).toBeLessThan(deadlineMs / 4);

    await net.restartNode('hospital');
    await net.waitFor('the restarted hospital to answer', answersFromHospital);
  }, 60_000);
});

describe('a mixed network gives the same merged answer as the same network all direct', () => {
  const policy = { ...DEFAULT_POLICY, budget: null, rateLimits: [{ limit: 1_000_000, windowSeconds: 60 }] };
  const QUESTIONS: Query[] = [PLAIN, STRATIFIED, { unit: 'donors', where: { op: 'diagnosis', codes: ['C50'] } }];

  test('two direct nodes and one connect-out node, with the same noise secrets, give identical figures', async () => {
    // Site c has no port in the first network and answers over its link; in the second it is asked at its address.
    const mixed = await startConnectNetwork({
      policy,
      nodes: [
        { id: 'site-a', mode: 'direct' },
        { id: 'site-b', mode: 'direct' },
        { id: 'site-c', mode: 'connect-out' },
      ],
    });
    const answers: FederatedCountResponse[] = [];
    try {
      await mixed.waitFor('site-c to connect', () => mixed.coordinator.connectLinks.connected('site-c'));
      for (const query of QUESTIONS) answers.push(await mixed.ask(query));
    } finally {
      await mixed.stop();
    }
    const direct = await startConnectNetwork({
      policy,
      nodes: [
        { id: 'site-a', mode: 'direct' },
        { id: 'site-b', mode: 'direct' },
        { id: 'site-c', mode: 'direct' },
      ],
    });
    try {
      for (const [i, query] of QUESTIONS.entries()) {
        const viaLink = answers[i]!;
        const allDirect = await direct.ask(query);
        for (const response of [viaLink, allDirect]) expect(response.sites.every((s) => s.status === SiteStatus.SITE_STATUS_OK)).toBe(true);
        // Noise is keyed by each node's secret, the canonical query and the data epoch: how the question travelled changes nothing.
        expect(viaLink.total).toEqual(allDirect.total);
        expect(viaLink.strata).toEqual(allDirect.strata);
        expect(viaLink.sites.map((s) => s.total)).toEqual(allDirect.sites.map((s) => s.total));
        expect(viaLink.total?.exact).toBe(false);
      }
    } finally {
      await direct.stop();
    }
  }, 90_000);
});
