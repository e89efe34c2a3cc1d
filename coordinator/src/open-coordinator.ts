import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import {
  BiospecError,
  checkPrivatePermissions,
  createPrivateFile,
  makePrivateDir,
  readJsonFile,
  SiteStatus,
  NodeServiceService,
  type FederatedAvailabilityResponse,
  type FederatedCountResponse,
  type HeldQuestionSummary,
  type NodeInfo,
} from '@biospec/protocol';
import { createRateLimiter, describeGuarantee, parsePolicy } from '@biospec/privacy';
import { createReadiness, type Readiness } from '@biospec/health';
import { holdPidFile } from '@biospec/backup';
import { resolvePerson, type IssuerRegistration, type PeopleRepository, type Person } from '@biospec/registry';
import {
  createKeyRing,
  createResearcherVerifier,
  defaultHeadFile,
  importSigningKey,
  verifyResult,
  type ResearcherIdentity,
  type ResultBundle,
  type SigningKey,
  type StewardClaims,
} from '@biospec/trust';
import {
  authorize,
  createAccessWorkflow,
  createMembershipWorkflow,
  sendDueReminders,
  type AccessCaller,
  type AccessStore,
  type AccessWorkflow,
  type Delivery,
  type Membership,
  type MembershipWorkflow,
  type Notifier,
  type Permission,
  type RevocationList,
} from '@biospec/access';
import { createSiteHealthTracker, fanOut, type SiteHealthTracker } from '@biospec/federation';
import type { CoordinatorConfig } from './config.js';
import { createCoordinatorAudit, type CoordinatorAudit } from './coordinator-audit.js';
import { coordinatorAuditFile, coordinatorDatabases, openCoordinatorState } from './coordinator-state.js';
import { syncMembers } from './member-sync.js';
import { researcherPseudonym } from './pseudonym.js';
import { createFederatedCount, deadlineOf, type FederatedCountInput } from './federated-count.js';
import { createFederatedAvailability } from './federated-availability.js';
import { createCoordinatorMetrics, type CoordinatorMetrics } from './metrics.js';
import { relayGrantedQuestion } from './granted-relay.js';
import { decideSiteHold, listSiteHolds, type SiteHolds, type SiteHoldsContext } from './site-holds.js';
import { configEntry, createMemberRegistry, openMember, type Member, type MemberEntry, type MemberRegistry } from './members.js';
import { createConfiguredNotifier } from './notifier-config.js';
import { startCoordinatorDirectory } from './coordinator-directory.js';
import type { Directory } from '@biospec/directory';
import { createConnectLinks, type ConnectLinks } from '@biospec/connect';

/** Who is asking: the researcher record behind the verified token, and the token's identity. */
export interface Caller {
  person: Person;
  identity: ResearcherIdentity;
  /**
   * The roles the caller holds: the researcher record's, plus, for an identity provider
   * configured with `roleClaim`, the roles its token maps to. A coordinator-issued token's
   * own `roles` claim grants nothing the record does not hold (a role staff removed is gone at once).
   */
  roles: string[];
  /** The pseudonym nodes see for this person. */
  pseudonym: string;
}

/** What a granted availability fetch hands back: the encrypted answer, relayed, and the record of its delivery. */
export interface GrantedDelivery {
  nodeId: string;
  encryptedAnswer: string;
  delivery: Delivery;
}

/** A coordinator's parts, opened from its config: what its gRPC and HTTP servers expose. */
export interface OpenCoordinator {
  config: CoordinatorConfig;
  logger: Logger;
  signingKey: SigningKey;
  /** The member nodes asked now (approved, not suspended). */
  readonly members: readonly Member[];
  memberRegistry: MemberRegistry;
  /** The coordinator's Prometheus metrics (coordinator/src/metrics.ts). */
  metrics: CoordinatorMetrics;
  /** Whether the coordinator can serve now (its databases take writes); `/readyz` and gRPC health report it. */
  readiness: Readiness;
  /** Researcher records and the identities linked to them. */
  people: PeopleRepository;
  /**
   * Turns an `authorization` header into the person asking: UNAUTHENTICATED for
   * a token that does not verify, PERMISSION_DENIED for an identity no
   * researcher record has (see docs/SECURITY.md, "Who is asking").
   */
  authenticate(authorization: string | undefined): Promise<Caller>;
  /** Checks the caller may take `permission` (one rule per action; docs/ACCESS.md, "Roles"). */
  authorize(caller: Caller, permission: Permission): void;
  /** The caller as the access workflow sees them. */
  accessCaller(caller: Caller): AccessCaller;
  /** A count question; a caller (or a researcher record) without the researcher role is refused. */
  federatedCount(who: Caller | Person, input: FederatedCountInput): Promise<FederatedCountResponse>;
  /**
   * A count question as a REST or gRPC call brings it: authenticate, read the input (`input`
   * throws INVALID_ARGUMENT for a malformed one), ask. Every outcome, refusals before the
   * question is asked included, is counted in the metrics.
   */
  ask(authorization: string | undefined, input: () => FederatedCountInput): Promise<FederatedCountResponse>;
  /** An availability question, under the same checks, signatures, rate limit and audit as counts. */
  federatedAvailability(caller: Caller, input: FederatedCountInput): Promise<FederatedAvailabilityResponse>;
  /** Requests, site answers, comments, grants and revocation. */
  access: AccessWorkflow;
  /** Node membership: applications, approval, suspension. */
  memberships: MembershipWorkflow;
  accessStore: AccessStore;
  /** Relays a granted availability question to one site and records the delivery of its encrypted answer. */
  fetchGranted(caller: Caller, requestId: string, nodeId: string, deadlineMs?: number): Promise<GrantedDelivery>;
  /** A site's held questions (without their figures), for a steward of that site; asked of the node itself. */
  siteHolds(caller: Caller, nodeId: string, status?: StewardClaims['status']): Promise<SiteHolds>;
  /** A steward's release or decline of one held question, taken by the node and recorded there and here. */
  decideSiteHold(caller: Caller, nodeId: string, holdId: string, decision: { action: 'release' | 'decline'; reason?: string }): Promise<HeldQuestionSummary>;
  /** Sends the reminders due now (the coordinator also does so on a timer). */
  sendReminders(): Promise<string[]>;
  /** The coordinator's signed audit log; the access workflow records its actions with `recordAccess`. */
  audit: CoordinatorAudit;
  listNodes(caller?: Caller): Promise<NodeInfo[]>;
  /** Each node's recent calls (counts and Describe): statuses, latencies, when last seen. */
  siteHealth: SiteHealthTracker;
  /** The coordinator's public keys (current and retired), for nodes to pin. */
  jwks(): { keys: unknown[] };
  /** Every member's public keys, for researchers to verify saved results offline. */
  nodeJwks(): Record<string, { keys: unknown[] }>;
  /** The network directory (liveness, announced endpoints and keys); undefined unless `directory.enabled`. */
  directory: Directory | undefined;
  /** Nodes connected out to this coordinator; served by `startNodeConnectServer` when `nodeConnect` is set. */
  connectLinks: ConnectLinks;
  /** Leaves the directory (if it joined one); call before {@link close}. */
  stopDirectory(): Promise<void>;
  close(): Promise<void>;
}

/** The pid file a running coordinator holds in its state folder; a restore refuses to write under a live one. */
export function coordinatorPidFile(config: CoordinatorConfig): string {
  return path.join(config.stateDir, 'coordinator.pid');
}

/**
 * Makes the state folder 0700 and its SQLite databases 0600 where they do not exist yet, then
 * checks the coordinator's folders, databases (with -wal and -shm) and secrets: one that
 * other users can read stops the start, or is logged under `filePermissions: "warn"`.
 */
export function secureCoordinatorFiles(config: CoordinatorConfig, logger: Logger): void {
  makePrivateDir(config.stateDir);
  for (const database of coordinatorDatabases(config)) createPrivateFile(database);
  const wide = checkPrivatePermissions(
    {
      dirs: [config.baseDir, config.stateDir],
      files: [config.signingKey, config.pseudonymSecret, ...(config.database ? [] : [defaultHeadFile(coordinatorAuditFile(config))])],
      databases: coordinatorDatabases(config),
    },
    config.filePermissions,
    `coordinator ${config.coordinatorId}`,
  );
  for (const w of wide) logger.warn({ path: w.path, mode: w.mode.toString(8), fix: w.chmod }, 'file readable by other users');
}

export async function openCoordinator(config: CoordinatorConfig, options: { logger?: Logger } = {}): Promise<OpenCoordinator> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'coordinator' } }, pino.destination(2));
  const signingKey = await importSigningKey(readJsonFile(config.signingKey, 'signing key') as Parameters<typeof importSigningKey>[0]);
  const retired = config.retiredKeys ? ((readJsonFile(config.retiredKeys, 'retired keys') as { keys: unknown[] }).keys ?? []) : [];
  const pseudonymSecret = fs.readFileSync(config.pseudonymSecret);
  secureCoordinatorFiles(config, logger);
  const state = await openCoordinatorState(config, { signer: { key: signingKey, logId: config.coordinatorId } });
  const audit = createCoordinatorAudit(state.audit);
  const { people } = state;
  const pinned = (nodeId: string) => memberRegistry.get(nodeId)?.keys;
  // A node that connects out proves itself with one of the keys membership pins for it; nobody else is let in.
  const connectLinks = createConnectLinks({
    coordinatorId: config.coordinatorId,
    keysOf: pinned,
    keepaliveTimeMs: config.nodeKeepalive.timeMs,
    ...(config.nodeConnect ? { proofTimeoutMs: config.nodeConnect.proofTimeoutMs } : {}),
    log: logger,
  });
  const accessStore = state.access;
  const memberRegistry = await openMemberRegistry(config, accessStore, connectLinks);
  // Tokens the coordinator signs itself are issued by its staff (`researcher add`), so an unseen one gets a record.
  const registrations = new Map<string, IssuerRegistration>([
    [config.coordinatorId, { issuer: config.coordinatorId, unknownIdentities: 'auto', linkByVerifiedEmail: false }],
    ...config.researcherIssuers.map((i): [string, IssuerRegistration] => [
      i.issuer,
      { issuer: i.issuer, unknownIdentities: i.unknownIdentities, linkByVerifiedEmail: i.linkByVerifiedEmail },
    ]),
  ]);
  const ownKeys = await createKeyRing([signingKey.publicJwk]);
  const verifier = createResearcherVerifier({
    issuers: [
      { issuer: config.coordinatorId, audience: config.researcherAudience, keys: ownKeys },
      ...(await Promise.all(
        config.researcherIssuers.map(async (i) => {
          const mapping = { ...(i.roleClaim ? { roleClaim: i.roleClaim } : {}), ...(i.roleMapping ? { roleMapping: i.roleMapping } : {}) };
          return 'jwks' in i
            ? {
                issuer: i.issuer,
                audience: i.audience,
                keys: await createKeyRing((readJsonFile(i.jwks, 'issuer keys') as { keys: Parameters<typeof createKeyRing>[0] }).keys),
                ...mapping,
              }
            : { issuer: i.issuer, audience: i.audience, jwksUri: i.jwksUri, ...mapping };
        }),
      )),
    ],
  });

  const metrics = createCoordinatorMetrics({ coordinator: config.coordinatorId });
  const siteHealth = createSiteHealthTracker();
  const readiness = createReadiness([{ name: 'databases', run: () => state.writable() }]);
  readiness.onChange((report) => logger.info({ ready: report.ready, checks: report.checks }, report.ready ? 'coordinator ready' : 'coordinator not ready'));
  await readiness.refresh();
  readiness.start(READINESS_EVERY_MS);
  const directory = config.directory?.enabled ? await startCoordinatorDirectory(config, () => memberRegistry.current(), { logger, metrics, links: connectLinks }) : undefined;

  // Persisted (in PostgreSQL shared by every coordinator of the network), so a restart opens no fresh window.
  const rateLimiter = createRateLimiter(config.rateLimits, { store: state.rateLimits });
  const federatedCount = createFederatedCount({
    coordinatorId: config.coordinatorId,
    signingKey,
    members: () => memberRegistry.current(),
    pseudonymSecret,
    rateLimiter,
    defaultDeadlineMs: config.defaultDeadlineMs,
    queryLifetimeSeconds: config.queryLifetimeSeconds,
    logger,
    onSiteAnswered(node, status, latencyMs) {
      metrics.siteAnswered(node, status, latencyMs);
      siteHealth.record(node, status, latencyMs);
    },
  });

  const federatedAvailability = createFederatedAvailability({
    coordinatorId: config.coordinatorId,
    signingKey,
    members: () => memberRegistry.current(),
    rateLimiter,
    defaultDeadlineMs: config.defaultDeadlineMs,
    queryLifetimeSeconds: config.queryLifetimeSeconds,
    logger,
  });

  const notifier: Notifier = createConfiguredNotifier(config, logger);
  const pseudonymOfRecord = (personId: string) => researcherPseudonym(pseudonymSecret, { id: personId });
  const requestUri = (id: string) =>
    config.publicUrl ? `${config.publicUrl.replace(/\/$/, '')}/api/v1/access/requests/${id}` : `urn:biospec:${config.coordinatorId}:request:${id}`;
  const recordAccess = (entry: { actor: string; subject: string; action: string; outcome: string; detail?: Record<string, unknown> }) => audit.recordAccess(entry);
  const backgroundError = (error: unknown, what: string) => logger.warn({ err: error, what }, 'access workflow: a follow-up failed; the action stands');

  /** Sends a new revocation list to every member now; one that is down gets it with its next granted question. */
  async function pushRevocations(list: RevocationList): Promise<void> {
    const results = await Promise.allSettled(
      memberRegistry.current().map(
        (m) =>
          m.call(NodeServiceService.pushRevocations, { revocationList: list.token }, new Date(Date.now() + 3000)),
      ),
    );
    results.forEach((r, i) => {
      if (r.status === 'rejected') logger.warn({ node: memberRegistry.current()[i]?.id, version: list.version, err: r.reason }, 'revocation list not pushed; the node gets it with its next granted question');
    });
  }

  const access = createAccessWorkflow({
    store: accessStore,
    people,
    pseudonymOf: pseudonymOfRecord,
    coordinatorId: config.coordinatorId,
    signingKey,
    grantLifetimeSeconds: Math.round(config.access.grantLifetimeDays * 86400),
    requestUri,
    grantSource: config.publicUrl ?? config.coordinatorId,
    isMember: (nodeId) => memberRegistry.get(nodeId) !== undefined,
    checkBundle: (bundle, hash) => checkBundle(bundle, hash, memberRegistry.current()),
    audit: recordAccess,
    notifier,
    onRevocationList: pushRevocations,
    onBackgroundError: backgroundError,
  });
  const memberships = createMembershipWorkflow({
    memberships: accessStore.memberships,
    people,
    audit: recordAccess,
    notifier,
    onBackgroundError: backgroundError,
    async onChange(membership: Membership) {
      if (membership.state === 'approved') await memberRegistry.admit(membershipEntry(config, membership));
      else memberRegistry.remove(membership.nodeId);
    },
  });

  const remindersRun = () =>
    sendDueReminders({ requests: accessStore.requests, people, notifier, afterMs: config.access.remindAfterHours * 3600_000, requestUri });
  const reminderTimer = setInterval(() => {
    remindersRun().catch((reason: unknown) => logger.error({ err: reason }, 'reminders not sent'));
  }, config.access.reminderCheckSeconds * 1000);
  reminderTimer.unref();

  // Memberships decided through another replica on the same database: ask (or stop asking) those nodes here too.
  let memberSync: Promise<void> | undefined;
  const memberSyncTimer = config.database
    ? setInterval(() => {
        // One at a time: a slow database must not have two runs admit the same node twice.
        memberSync ??= syncMembers(memberRegistry, accessStore.memberships, (m) => membershipEntry(config, m))
          .then(({ admitted, removed }) => {
            if (admitted.length + removed.length > 0) logger.info({ admitted, removed }, 'members changed through another coordinator');
          })
          .catch((reason: unknown) => logger.warn({ err: reason }, 'members not synchronised with the shared database; next try in a moment'))
          .finally(() => {
            memberSync = undefined;
          });
      }, config.database.membershipSyncSeconds * 1000)
    : undefined;
  memberSyncTimer?.unref();

  const callerOf = (who: Caller | Person): AccessCaller =>
    'identity' in who
      ? { personId: who.person.id, name: who.person.name, roles: who.roles, pseudonym: who.pseudonym }
      : { personId: who.id, name: who.name, roles: who.roles, pseudonym: pseudonymOfRecord(who.id) };

  const authenticate = async (authorization: string | undefined): Promise<Caller> => {
    const identity = await verifier.verify(authorization ?? '');
    const registration = registrations.get(identity.issuer) as IssuerRegistration;
    const person = await resolvePerson(people, identity, registration);
    const mapsRoles = config.researcherIssuers.some((i) => i.issuer === identity.issuer && i.roleClaim !== undefined);
    const roles = [...new Set([...person.roles, ...(mapsRoles ? identity.roles : [])])];
    return { identity, person, roles, pseudonym: researcherPseudonym(pseudonymSecret, person) };
  };
  const countQuestion = async (who: Caller | Person, input: FederatedCountInput): Promise<FederatedCountResponse> => {
    const caller = callerOf(who);
    const question = {
      researcher: caller.pseudonym,
      query: input.query,
      purpose: input.purpose,
      project: input.project,
      ...(input.requestId === undefined ? {} : { requestId: input.requestId }),
    };
    const person = 'identity' in who ? who.person : who;
    let response: FederatedCountResponse;
    try {
      authorize(caller, 'count.ask');
      response = await federatedCount(person, input);
    } catch (reason) {
      await audit.recordRejectedQuery(question, reason);
      throw reason;
    }
    // Recorded before the researcher sees the answer, like a node's answers.
    await audit.recordQuery(question, response);
    return response;
  };

  /** The member a site-specific call goes to; a site that is not a member now (suspended, never admitted) is not asked. */
  const askedMember = async (nodeId: string): Promise<Member> => {
    const member = memberRegistry.get(nodeId);
    if (member === undefined) {
      const state = (await accessStore.memberships.get(nodeId))?.state;
      throw new BiospecError('FAILED_PRECONDITION', `node ${nodeId} is ${state ?? 'not a member'}; it is not asked now`);
    }
    return member;
  };
  const holdsContext = (): SiteHoldsContext => ({
    coordinatorId: config.coordinatorId,
    signingKey,
    audit,
    member: askedMember,
    deadline: deadlineOf(Date.now(), undefined, config.defaultDeadlineMs),
  });

  // While this file names a live process, `biospec coordinator restore` refuses to write under the coordinator.
  const releasePidFile = holdPidFile(coordinatorPidFile(config));

  return {
    config,
    logger,
    signingKey,
    get members() {
      return memberRegistry.current();
    },
    memberRegistry,
    metrics,
    readiness,
    people,
    authenticate,
    authorize(caller, permission) {
      authorize(callerOf(caller), permission);
    },
    accessCaller: callerOf,
    audit,
    access,
    memberships,
    accessStore,
    async federatedAvailability(caller, input) {
      const question = {
        researcher: caller.pseudonym,
        query: input.query,
        purpose: input.purpose,
        project: input.project,
        ...(input.requestId === undefined ? {} : { requestId: input.requestId }),
      };
      let response: FederatedAvailabilityResponse;
      try {
        authorize(callerOf(caller), 'availability.ask');
        response = await federatedAvailability(caller.pseudonym, input);
      } catch (reason) {
        await audit.recordRejectedQuery(question, reason, 'availability-query');
        throw reason;
      }
      await audit.recordAvailability(question, response);
      return response;
    },
    async fetchGranted(caller, requestId, nodeId, deadlineMs) {
      const who = callerOf(caller);
      const fetch = await access.prepareGrantedFetch(who, requestId, nodeId);
      const member = await askedMember(nodeId);
      const encryptedAnswer = await relayGrantedQuestion({
        coordinatorId: config.coordinatorId,
        signingKey,
        queryLifetimeSeconds: config.queryLifetimeSeconds,
        member,
        researcher: who.pseudonym,
        fetch,
        deadline: deadlineOf(Date.now(), deadlineMs, Math.max(config.defaultDeadlineMs, 30_000)),
      });
      const delivery = await access.recordDelivery(who, fetch, encryptedAnswer);
      return { nodeId, encryptedAnswer, delivery };
    },
    siteHolds: (caller, nodeId, status) => listSiteHolds(holdsContext(), callerOf(caller), nodeId, status),
    decideSiteHold: (caller, nodeId, holdId, decision) => decideSiteHold(holdsContext(), callerOf(caller), nodeId, holdId, decision),
    sendReminders: remindersRun,
    federatedCount: countQuestion,
    async ask(authorization, input) {
      try {
        const caller = await authenticate(authorization);
        const response = await countQuestion(caller, input());
        metrics.question({ response });
        return response;
      } catch (reason) {
        metrics.question({ refused: reason });
        throw reason;
      }
    },
    async listNodes(caller) {
      if (caller !== undefined) authorize(callerOf(caller), 'nodes.list');
      const outcomes = await fanOut(
        memberRegistry.current(),
        (m, deadline) => m.describe(deadline),
        { deadline: new Date(Date.now() + 1500) },
      );
      return outcomes.map((o) => {
        const status = o.ok ? SiteStatus.SITE_STATUS_OK : o.failure.status;
        metrics.siteSeen(o.site.id, status);
        siteHealth.record(o.site.id, status, o.latencyMs);
        return {
          nodeId: o.site.id,
          name: o.site.name,
          endpoint: o.site.endpoint,
          lastStatus: status,
          ...(o.ok && o.value.catalogueDonors ? { catalogueDonors: o.value.catalogueDonors } : {}),
          dataEpoch: o.ok ? o.value.dataEpoch : 0,
          policyJson: o.ok ? o.value.policyJson : '',
          guarantee: o.ok ? guaranteeOf(o.value.policyJson) : '',
          softwareVersion: o.ok ? o.value.softwareVersion : '',
        };
      });
    },
    siteHealth,
    jwks: () => ({ keys: [signingKey.publicJwk, ...retired] }),
    nodeJwks: () => Object.fromEntries(memberRegistry.current().map((m) => [m.id, m.jwks])),
    directory: directory?.directory,
    connectLinks,
    stopDirectory: async () => directory?.stop(),
    async close() {
      await readiness.stop();
      clearInterval(reminderTimer);
      clearInterval(memberSyncTimer);
      // A synchronisation under way finishes before the registry and the database close under it.
      await memberSync;
      connectLinks.close();
      memberRegistry.close();
      await state.close();
      await notifier.close().catch((reason: unknown) => logger.warn({ err: reason }, 'notifier did not close cleanly'));
      releasePidFile();
    },
  };
}

/** How often readiness is evaluated. */
const READINESS_EVERY_MS = 1000;

/** What a node's published policy guarantees, in its own words, or why that cannot be said. */
function guaranteeOf(policyJson: string): string {
  try {
    return describeGuarantee(parsePolicy(JSON.parse(policyJson)));
  } catch {
    return 'unknown: the node published a policy this coordinator cannot read';
  }
}

/** A membership's node as a member entry: its pinned keys are those of its approved application. */
function membershipEntry(config: CoordinatorConfig, membership: Membership): MemberEntry {
  // A node also in coordinator.json keeps the keys and TLS settings add-node gave it.
  const configured = config.nodes.find((n) => n.id === membership.nodeId);
  if (configured) return configEntry(configured);
  return { id: membership.nodeId, name: membership.name, endpoint: membership.endpoint, jwks: membership.jwks };
}

/**
 * The nodes asked at start: every node of coordinator.json (adopted as an approved
 * membership the first time, so staff can suspend it) and every approved membership,
 * less those suspended.
 */
async function openMemberRegistry(config: CoordinatorConfig, store: AccessStore, links: ConnectLinks): Promise<MemberRegistry> {
  const at = new Date().toISOString();
  for (const node of config.nodes) {
    if ((await store.memberships.get(node.id)) !== undefined) continue;
    const entry = configEntry(node);
    try {
      await store.memberships.put(
        { nodeId: node.id, name: node.name, endpoint: node.endpoint, jwks: entry.jwks as Membership['jwks'], contact: null, state: 'approved', application: '', updatedAt: at },
        { nodeId: node.id, from: null, to: 'approved', actor: { personId: 'operator', name: null, role: 'add-node' }, at, reason: 'admitted with biospec coordinator add-node' },
      );
    } catch (error) {
      // Another coordinator on the same database, starting at the same time, recorded it first.
      if (!(error instanceof BiospecError && error.code === 'FAILED_PRECONDITION')) throw error;
    }
  }
  const approved = (await store.memberships.list()).filter((m) => m.state === 'approved');
  const configured = config.nodes.filter((n) => approved.some((m) => m.nodeId === n.id));
  const applied = approved.filter((m) => !config.nodes.some((n) => n.id === m.nodeId));
  const members = await Promise.all([
    ...configured.map((node) => openMember(config, configEntry(node), links)),
    ...applied.map((m) => openMember(config, membershipEntry(config, m), links)),
  ]);
  return createMemberRegistry(config, members, links);
}

/** Largest signed answer a bundle may hold, as a node may send it. */
const MAX_BUNDLE_ANSWER_BYTES = 1024 * 1024;

/**
 * A result bundle attached to an access request must be for the request's query and every
 * signed answer in it must verify against the coordinator's pinned keys of that node.
 */
async function checkBundle(bundle: unknown, hash: string, members: readonly Member[]): Promise<void> {
  const b = bundle as Partial<ResultBundle>;
  const fail = (message: string, field = 'origin.bundle'): never => {
    throw new BiospecError('INVALID_ARGUMENT', `the result bundle does not verify: ${message}`, { issues: [{ field, message }] });
  };
  if (typeof b !== 'object' || b === null || b.version !== 1 || !Array.isArray(b.sites)) return fail('not a result bundle');
  if (b.query_hash !== hash) return fail(`it answers query ${String(b.query_hash)}, not the request's ${hash}`, 'origin.bundle.query_hash');
  for (const site of b.sites) {
    if (!site.signed_result) continue;
    const member = members.find((m) => m.id === site.node_id);
    if (member === undefined) return fail(`site ${site.node_id} is not a member`, 'origin.bundle.sites');
    try {
      await verifyResult(site.signed_result, member.keys, { expectedNodeId: member.id, expectedQueryHash: hash, maxTokenBytes: MAX_BUNDLE_ANSWER_BYTES });
    } catch (error) {
      fail(`site ${site.node_id}: ${BiospecError.from(error).message}`, 'origin.bundle.sites');
    }
  }
}
