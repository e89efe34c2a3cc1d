/**
 * Roles a person holds at the coordinator. Two are network-wide, two belong to one node:
 *
 * - `researcher`: asks federated questions and makes access requests;
 * - `staff`: the coordinator's staff, the access committee (reviews requests, admits nodes);
 * - `steward:<node id>`: answers access requests for that node's site (one or more per node);
 * - `operator:<node id>`: runs that node (applies for its membership, sees its standing).
 *
 * A role is a plain string in the registry and in the `roles` claim of tokens the
 * coordinator issues, so one person can hold several (steward of two nodes, say).
 */
import { BiospecError } from '@biospec/protocol';

/** Roles that hold across the whole network. */
export const NETWORK_ROLES = ['researcher', 'staff'] as const;
/** Roles that hold for one node, written `<kind>:<node id>`. */
export const NODE_ROLE_KINDS = ['steward', 'operator'] as const;

export type NetworkRole = (typeof NETWORK_ROLES)[number];
export type NodeRoleKind = (typeof NODE_ROLE_KINDS)[number];
export type NodeRole = `${NodeRoleKind}:${string}`;
export type Role = NetworkRole | NodeRole;

/** A node id as nodes and the coordinator's config spell it. */
export const NODE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Kept for callers that list the network-wide roles. */
export const ROLES = NETWORK_ROLES;

/** The role `steward:<nodeId>`. */
export function stewardOf(nodeId: string): NodeRole {
  return `steward:${nodeId}`;
}

/** The role `operator:<nodeId>`. */
export function operatorOf(nodeId: string): NodeRole {
  return `operator:${nodeId}`;
}

/** Why `value` is not a role, or null when it is one. */
export function roleProblem(value: string): string | null {
  if ((NETWORK_ROLES as readonly string[]).includes(value)) return null;
  const separator = value.indexOf(':');
  const kind = separator < 0 ? value : value.slice(0, separator);
  if (!(NODE_ROLE_KINDS as readonly string[]).includes(kind)) {
    return `unknown role '${value}'; roles are researcher, staff, steward:<node id>, operator:<node id>`;
  }
  if (separator < 0) return `role '${value}' needs a node: ${kind}:<node id>`;
  const nodeId = value.slice(separator + 1);
  return NODE_ID_PATTERN.test(nodeId) ? null : `role '${value}' names no valid node id (lowercase letters, digits and dashes, at most 63)`;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && roleProblem(value) === null;
}

/**
 * Checks a list of roles and removes repeats.
 * @throws BiospecError INVALID_ARGUMENT naming the first role that is not one.
 */
export function parseRoles(values: readonly string[], field = 'roles'): Role[] {
  const issues = values.flatMap((value, i) => {
    const problem = roleProblem(value);
    return problem === null ? [] : [{ field: `${field}[${i}]`, message: problem }];
  });
  if (issues.length > 0) throw new BiospecError('INVALID_ARGUMENT', issues[0]!.message, { issues });
  return [...new Set(values)] as Role[];
}

/** "coordinator staff", "steward of node north-uh", as a person reads it. */
export function describeRole(role: Role): string {
  if (role === 'researcher') return 'researcher';
  if (role === 'staff') return 'coordinator staff';
  const [kind, nodeId] = role.split(':') as [NodeRoleKind, string];
  return `${kind} of node ${nodeId}`;
}

/** The nodes a person is steward (or operator) of. */
export function nodesWhere(roles: readonly string[], kind: NodeRoleKind): string[] {
  return roles.filter((r) => r.startsWith(`${kind}:`)).map((r) => r.slice(kind.length + 1));
}
