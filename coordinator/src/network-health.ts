import { SiteStatus } from '@biospec/protocol';
import type { Caller, OpenCoordinator } from './open-coordinator.js';

/** One node as coordinator staff see its health. */
export interface NodeHealth {
  nodeId: string;
  name: string;
  endpoint: string;
  /** Its membership state, or null for a node the coordinator asks without one. */
  membership: string | null;
  lastStatus: SiteStatus | null;
  /** When it last answered the coordinator (any call but a timeout, unreachable or error). */
  lastSeenAt: string | null;
  calls: number;
  errorRate: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  dataEpoch: number | null;
  software: { name: string; version: string } | null;
  /** What the network directory last heard from it, when the directory is enabled. */
  directory: { lastSeenAt: string; stale: boolean } | null;
}

export interface NetworkHealth {
  windowMinutes: number;
  nodes: NodeHealth[];
}

/**
 * The network health view (staff only): asks every member to describe itself now (status, data
 * epoch, software version), then adds the coordinator's recent record of its calls to each and
 * what the directory last heard. Members that are not asked (applied, suspended) are listed with
 * their membership state.
 */
export async function networkHealth(coordinator: OpenCoordinator, caller: Caller): Promise<NetworkHealth> {
  coordinator.authorize(caller, 'network.health');
  const described = await coordinator.listNodes(caller);
  const memberships = await coordinator.memberships.list(coordinator.accessCaller(caller));
  const stateOf = new Map(memberships.map((m) => [m.nodeId, m.state]));
  const heard = new Map((coordinator.directory?.current() ?? []).map((e) => [e.nodeId, e]));
  const entry = (nodeId: string, name: string, endpoint: string, dataEpoch: number | null, version: string): NodeHealth => {
    const health = coordinator.siteHealth.health(nodeId);
    const announced = heard.get(nodeId);
    return {
      nodeId,
      name,
      endpoint,
      membership: stateOf.get(nodeId) ?? null,
      lastStatus: health.lastStatus ?? null,
      lastSeenAt: health.lastSeenAt,
      calls: health.calls,
      errorRate: health.errorRate,
      latencyP50Ms: health.latencyP50Ms,
      latencyP95Ms: health.latencyP95Ms,
      dataEpoch,
      software: version ? { name: 'biospec', version } : (announced?.descriptor.software ?? null),
      directory: announced ? { lastSeenAt: new Date(announced.lastSeenAt).toISOString(), stale: announced.stale } : null,
    };
  };
  const asked = described.map((n) => entry(n.nodeId, n.name, n.endpoint, n.lastStatus === SiteStatus.SITE_STATUS_OK ? n.dataEpoch : null, n.softwareVersion));
  const notAsked = memberships
    .filter((m) => !described.some((n) => n.nodeId === m.nodeId))
    .map((m) => entry(m.nodeId, m.name, m.endpoint, null, ''));
  return { windowMinutes: coordinator.siteHealth.windowMs / 60_000, nodes: [...asked, ...notAsked] };
}
