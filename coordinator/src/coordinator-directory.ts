import type { Logger } from 'pino';
import type { CoordinatorMetrics } from './metrics.js';
import { startServiceDirectory, type DirectoryEntry, type PublicJwk, type ServiceDirectory } from '@biospec/directory';
import type { ConnectLinks } from '@biospec/connect';
import { CONNECT_OUT, type CoordinatorConfig } from './config.js';
import type { Member } from './members.js';

/**
 * What the directory says about a node that membership does not: the coordinator keeps asking
 * members at the endpoint and with the keys staff approved; a difference is shown to staff
 * (`biospec directory`, the log), never acted on by itself.
 */
export function membershipNotes(entry: DirectoryEntry, member: Member | undefined, links?: ConnectLinks): string[] {
  if (member === undefined) return ['not a member: not asked until staff admit it (biospec coordinator add-node)'];
  const notes: string[] = [];
  // What the directory says of a node beside what its connection out says: announcing itself but never
  // connected points at its connectOut address or TLS; connected but silent here, at its directory settings.
  const link = links?.link(member.id);
  if (link) notes.push(`connected out since ${link.since.toISOString()} from ${link.peer}: asked over that connection`);
  else if (member.endpoint === CONNECT_OUT) notes.push(`connect-out member with no connection: unreachable until it dials in${entry.stale ? '' : ' (it announces itself: check its connectOut address and TLS)'}`);
  if (entry.descriptor.endpoint !== member.endpoint) {
    notes.push(`announces endpoint ${entry.descriptor.endpoint}; membership has ${member.endpoint}, where it is still asked`);
  }
  const pinned = new Set(member.keys.kids().map((kid) => member.keys.get(kid)?.publicJwk.x));
  const unknown = entry.descriptor.jwks.keys.filter((k) => !pinned.has(k.x)).map((k) => k.kid);
  if (unknown.length > 0) notes.push(`announces keys not in membership: ${unknown.join(', ')} (update its JWKS to accept answers signed with them)`);
  return notes;
}

/**
 * The coordinator's directory: it listens only (a coordinator has no descriptor), pins every
 * member's keys from membership, logs members going stale and coming back, and exports how
 * many members are live.
 */
export async function startCoordinatorDirectory(
  config: CoordinatorConfig,
  members: () => readonly Member[],
  parts: { logger: Logger; metrics: Pick<CoordinatorMetrics, 'observeDirectory'>; links?: ConnectLinks },
): Promise<ServiceDirectory> {
  // Members change while the coordinator runs (memberships approved, nodes suspended): look them up each time.
  const byId = { get: (id: string) => members().find((m) => m.id === id), has: (id: string) => members().some((m) => m.id === id) };
  const service = await startServiceDirectory(config.directory!, {
    role: 'coordinator',
    id: config.coordinatorId,
    pinnedKeys: (id) => {
      const member = byId.get(id);
      return member && (member.keys.jwks().keys as PublicJwk[]);
    },
    annotate: (entry) => membershipNotes(entry, byId.get(entry.nodeId), parts.links),
    onError: (err) => parts.logger.warn({ err }, 'directory: background task failed'),
  });
  const { directory } = service;
  directory.on('stale', (entry) => byId.has(entry.nodeId) && parts.logger.warn({ node: entry.nodeId }, 'member silent in the directory'));
  directory.on('change', (entry) => {
    const notes = membershipNotes(entry, byId.get(entry.nodeId), parts.links);
    parts.logger.info({ node: entry.nodeId, endpoint: entry.descriptor.endpoint, ...(notes.length > 0 ? { notes } : {}) }, 'directory: node announced');
  });
  parts.metrics.observeDirectory(() => directory.current().filter((e) => !e.stale && byId.has(e.nodeId)).length);
  parts.logger.info({ peerId: directory.peerId, addresses: directory.addresses() }, 'directory joined');
  return service;
}
