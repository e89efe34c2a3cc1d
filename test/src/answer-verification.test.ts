import path from 'node:path';
import { pino } from 'pino';
import { SiteStatus } from '@biospec/protocol';
import { loadCoordinatorConfig, openCoordinator, COORDINATOR_FILES } from '@biospec/coordinator';
import { startExactFederation, type ExactFederation } from './harness/exact-federation.js';

let fed: ExactFederation;

beforeAll(async () => {
  fed = await startExactFederation({ donorsPerSite: 60 });
}, 60_000);

afterAll(async () => {
  await fed?.stop();
});

test('an answer that does not verify against the pinned node key marks that site as an error and adds nothing', async () => {
  const coordinatorDir = path.join(fed.federation.dir, 'coordinator');
  const config = loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config));
  const [first, second] = config.nodes as [(typeof config.nodes)[number], (typeof config.nodes)[number]];
  // The coordinator pins the wrong keys for the first node, as if someone answered in its name.
  const coordinator = await openCoordinator(
    { ...config, nodes: [{ ...first, jwks: second.jwks }, ...config.nodes.slice(1)] },
    { logger: pino({ level: 'silent' }) },
  );
  try {
    const person = await coordinator.people.create({ name: 'verify' });
    const response = await coordinator.federatedCount(person, { query: { unit: 'aliquots' }, purpose: 'DUO:0000006', project: 'verify' });
    const impostor = response.sites.find((s) => s.nodeId === first.id)!;
    expect(impostor.status).toBe(SiteStatus.SITE_STATUS_ERROR);
    expect(impostor.message).toMatch(/answer does not verify: unknown key id/);
    expect(impostor.total).toBeUndefined();
    const honest = response.sites.filter((s) => s.nodeId !== first.id);
    expect(honest.every((s) => s.status === SiteStatus.SITE_STATUS_OK)).toBe(true);
    expect(response.total?.releasedSum).toBe(honest.reduce((n, s) => n + (s.total?.value ?? 0), 0));
  } finally {
    await coordinator.close();
  }
});
