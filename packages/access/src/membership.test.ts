import { generateSigningKey, importSigningKey, signCompactJws } from '@biospec/trust';
import { nextMembershipState, signMembershipApplication, verifyMembershipApplication, MEMBERSHIP_APPLICATION_TYPE } from './membership.js';

const NOW = Date.parse('2026-03-01T09:00:00.000Z');

test('an application signed with a key it carries verifies; one signed by another key, too old, or malformed does not', async () => {
  const key = await importSigningKey((await generateSigningKey({ kid: 'north-1' })).privateJwk);
  const stranger = await importSigningKey((await generateSigningKey({ kid: 'north-1' })).privateJwk);
  const descriptor = { nodeId: 'north', name: 'North Biobank', endpoint: 'north.example:50051', jwks: { keys: [key.publicJwk as Record<string, unknown>] }, contact: 'it@north.example' };
  const token = signMembershipApplication(descriptor, key, new Date(NOW));
  expect(await verifyMembershipApplication(token, NOW)).toEqual(descriptor);

  await expect(verifyMembershipApplication(signMembershipApplication(descriptor, stranger, new Date(NOW)), NOW)).rejects.toThrow('signature does not verify');
  await expect(verifyMembershipApplication(token, NOW + 2 * 86400_000)).rejects.toThrow('membership application is more than a day old; sign a new one');
  await expect(verifyMembershipApplication(signMembershipApplication(descriptor, key, new Date(NOW + 3600_000)), NOW)).rejects.toThrow('membership application issued in the future');
  await expect(verifyMembershipApplication('nonsense', NOW)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  const bad = signCompactJws({ node_id: 'North!', name: '', endpoint: 'x', jwks: { keys: [key.publicJwk] }, iat: NOW / 1000, jti: 'j' }, key, MEMBERSHIP_APPLICATION_TYPE);
  await expect(verifyMembershipApplication(bad, NOW)).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
    issues: [
      { field: 'node_id', message: 'lowercase letters, digits and dashes, at most 63' },
      { field: 'name', message: expect.any(String) },
      { field: 'endpoint', message: 'host:port' },
    ],
  });
});

test('membership moves, and the refusal naming the state', () => {
  expect(nextMembershipState('north', 'applied', 'approve')).toBe('approved');
  expect(nextMembershipState('north', 'approved', 'suspend')).toBe('suspended');
  expect(nextMembershipState('north', 'suspended', 'readmit')).toBe('approved');
  expect(() => nextMembershipState('north', 'approved', 'approve')).toThrow('node north is approved; only a node that is applied can be approved');
  expect(() => nextMembershipState('north', 'applied', 'suspend')).toThrow('node north is applied; only a node that is approved can be suspended');
  expect(() => nextMembershipState('north', 'declined', 'readmit')).toThrow('node north is declined; only a node that is suspended can be re-admitted');
});
