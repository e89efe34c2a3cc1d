import type { Membership } from '@biospec/access';
import type { Member, MemberEntry, MemberRegistry } from './members.js';
import { syncMembers } from './member-sync.js';

/** A registry that records what it was told, with members that are only their ids. */
function fakeRegistry(ids: string[]): MemberRegistry & { log: string[] } {
  let members = ids.map((id) => ({ id }) as Member);
  const log: string[] = [];
  return {
    log,
    current: () => members,
    get: (nodeId) => members.find((m) => m.id === nodeId),
    async admit(entry: MemberEntry) {
      log.push(`admit ${entry.id} ${entry.endpoint}`);
      const member = { id: entry.id } as Member;
      members = [...members.filter((m) => m.id !== entry.id), member];
      return member;
    },
    remove(nodeId) {
      log.push(`remove ${nodeId}`);
      members = members.filter((m) => m.id !== nodeId);
    },
    close: () => undefined,
  };
}

const membership = (nodeId: string, state: Membership['state']): Membership => ({
  nodeId,
  name: nodeId,
  endpoint: `${nodeId}.example:50051`,
  jwks: { keys: [] },
  contact: null,
  state,
  application: '',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

test('approved memberships the registry lacks are admitted, members no longer approved removed, the rest left alone', async () => {
  const registry = fakeRegistry(['north', 'south', 'unrecorded']);
  const memberships = [membership('north', 'approved'), membership('south', 'suspended'), membership('east', 'approved'), membership('west', 'applied')];
  const result = await syncMembers(registry, { list: async () => memberships }, (m) => ({ id: m.nodeId, name: m.name, endpoint: m.endpoint, jwks: m.jwks }));
  expect(result).toEqual({ admitted: ['east'], removed: ['south'] });
  expect(registry.log).toEqual(['admit east east.example:50051', 'remove south']);
  expect(registry.current().map((m) => m.id)).toEqual(['north', 'unrecorded', 'east']);
  // In line already: nothing to do.
  expect(await syncMembers(registry, { list: async () => memberships }, () => ({ id: 'x', name: 'x', endpoint: 'x', jwks: { keys: [] } }))).toEqual({ admitted: [], removed: [] });
});
