/**
 * A workflow on real parts for unit tests: an in-memory SQLite store and registry, a real
 * Ed25519 coordinator key, and a notifier and audit that keep what they were given.
 */
import { createSqlitePeople, type PeopleRepository, type Role } from '@biospec/registry';
import { generateSigningKey, importSigningKey, type SigningKey } from '@biospec/trust';
import { generateEncryptionKey } from '../granted-detail.js';
import { createMembershipWorkflow, type MembershipWorkflow } from '../membership-workflow.js';
import type { RevocationList } from '../model.js';
import type { Notification, Notifier } from '../notifier.js';
import type { AccessCaller } from '../permissions.js';
import type { AccessStore } from '../repositories.js';
import { createSqliteAccessStore } from '../sqlite-store.js';
import { createAccessWorkflow, type AccessAuditEntry, type AccessWorkflow } from '../workflow.js';

export interface WorkflowFixture {
  store: AccessStore;
  people: PeopleRepository;
  key: SigningKey;
  workflow: AccessWorkflow;
  memberships: MembershipWorkflow;
  notifications: Notification[];
  audit: AccessAuditEntry[];
  pushed: RevocationList[];
  /** The clock the workflow reads; tests move it. */
  clock: { now: Date };
  /** A person with these roles, as the coordinator would resolve them. */
  caller(name: string, roles: Role[], email?: string): Promise<AccessCaller>;
  encryptionKey: { privateJwk: Record<string, unknown>; publicJwk: Record<string, unknown> };
  close(): Promise<void>;
}

export const MEMBERS = ['north', 'south', 'east'];

export async function createWorkflowFixture(options: { notifier?: Notifier } = {}): Promise<WorkflowFixture> {
  const store = createSqliteAccessStore(':memory:');
  const people = createSqlitePeople(':memory:');
  const key = await importSigningKey((await generateSigningKey({ kid: 'coordinator-1' })).privateJwk);
  const notifications: Notification[] = [];
  const audit: AccessAuditEntry[] = [];
  const pushed: RevocationList[] = [];
  const clock = { now: new Date('2026-03-01T09:00:00.000Z') };
  const notifier: Notifier = options.notifier ?? {
    async notify(n) {
      notifications.push(n);
    },
    async close() {},
  };
  const workflow = createAccessWorkflow({
    store,
    people,
    pseudonymOf: (id) => `r-${id.slice(0, 8)}`,
    coordinatorId: 'coordinator',
    signingKey: key,
    grantLifetimeSeconds: 30 * 86400,
    requestUri: (id) => `https://coordinator.example/api/v1/access/requests/${id}`,
    grantSource: 'https://coordinator.example',
    isMember: (n) => MEMBERS.includes(n),
    audit: async (entry) => void audit.push(entry),
    notifier,
    onRevocationList: async (list) => void pushed.push(list),
    now: () => clock.now,
  });
  const memberships = createMembershipWorkflow({
    memberships: store.memberships,
    people,
    audit: async (entry) => void audit.push(entry),
    notifier,
    onChange: () => undefined,
    now: () => clock.now,
  });
  const { privateJwk, publicJwk } = await generateEncryptionKey('X25519');
  return {
    store,
    people,
    key,
    workflow,
    memberships,
    notifications,
    audit,
    pushed,
    clock,
    async caller(name, roles, email) {
      const person = await people.create({ name, roles, ...(email ? { email } : {}) });
      return { personId: person.id, name, roles, pseudonym: `r-${person.id.slice(0, 8)}` };
    },
    encryptionKey: { privateJwk: privateJwk as Record<string, unknown>, publicJwk: publicJwk as Record<string, unknown> },
    async close() {
      await store.close();
      await people.close();
    },
  };
}

/** A complete request body asking two collections at north and one at south. */
export function requestInput(encryptionKey: Record<string, unknown> | null, over: Record<string, unknown> = {}) {
  return {
    title: 'Breast cancer FFPE cohort',
    description: 'Validation of a prognostic signature.',
    ethicsReference: 'EC-2026-017',
    purpose: 'DUO:0000006',
    origin: { kind: 'availability' as const, query: { unit: 'specimens', where: { op: 'diagnosis', codes: ['C50'] } } },
    collections: [
      { nodeId: 'north', collectionId: 'breast' },
      { nodeId: 'north', collectionId: 'tumour-bank' },
      { nodeId: 'south', collectionId: 'oncology' },
    ],
    attachments: [{ name: 'protocol.pdf', sha256: 'e'.repeat(64), bytes: 48213 }],
    encryptionKey,
    ...over,
  };
}
