import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { checkPrivatePermissions, createPrivateFile, makePrivateDir, readJsonFile, SiteStatus, type FederatedCountResponse, type NodeInfo } from '@biospec/protocol';
import { createRateLimiter, describeGuarantee, parsePolicy } from '@biospec/privacy';
import { createSqlitePeople, resolvePerson, type IssuerRegistration, type PeopleRepository, type Person } from '@biospec/registry';
import { createKeyRing, createResearcherVerifier, defaultHeadFile, importSigningKey, type ResearcherIdentity, type SigningKey } from '@biospec/trust';
import { fanOut } from '@biospec/federation';
import type { CoordinatorConfig } from './config.js';
import { coordinatorAuditFile, createCoordinatorAudit, openCoordinatorAuditLog, type CoordinatorAudit } from './coordinator-audit.js';
import { researcherPseudonym } from './pseudonym.js';
import { createFederatedCount, type FederatedCount } from './federated-count.js';
import { openMembers, type Member } from './members.js';
import { startCoordinatorDirectory } from './coordinator-directory.js';
import type { Directory } from '@biospec/directory';
import { createConnectLinks, type ConnectLinks } from '@biospec/connect';

/** Who is asking: the researcher record behind the verified token, and the token's identity. */
export interface Caller {
  person: Person;
  identity: ResearcherIdentity;
}

/** A coordinator's parts, opened from its config: what its gRPC and HTTP servers expose. */
export interface OpenCoordinator {
  config: CoordinatorConfig;
  logger: Logger;
  signingKey: SigningKey;
  members: readonly Member[];
  metrics: Registry;
  /** Researcher records and the identities linked to them. */
  people: PeopleRepository;
  /**
   * Turns an `authorization` header into the person asking: UNAUTHENTICATED for
   * a token that does not verify, PERMISSION_DENIED for an identity no
   * researcher record has (see docs/SECURITY.md, "Who is asking").
   */
  authenticate(authorization: string | undefined): Promise<Caller>;
  federatedCount: FederatedCount;
  /** The coordinator's signed audit log; the access workflow records its actions with `recordAccess`. */
  audit: CoordinatorAudit;
  listNodes(): Promise<NodeInfo[]>;
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
  close(): void;
}

/**
 * Makes the state folder 0700 and the audit database 0600 where they do not exist yet, then
 * checks the coordinator's folders, audit database (with -wal and -shm) and secrets: one that
 * other users can read stops the start, or is logged under `filePermissions: "warn"`.
 */
/** The researcher records' database. */
export function peopleFile(config: CoordinatorConfig): string {
  return path.join(config.stateDir, 'people.db');
}

export function secureCoordinatorFiles(config: CoordinatorConfig, logger: Logger): void {
  makePrivateDir(config.stateDir);
  const auditFile = coordinatorAuditFile(config);
  createPrivateFile(auditFile);
  createPrivateFile(peopleFile(config));
  const wide = checkPrivatePermissions(
    {
      dirs: [config.baseDir, config.stateDir],
      files: [config.signingKey, config.pseudonymSecret, defaultHeadFile(auditFile)],
      databases: [auditFile, peopleFile(config)],
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
  const audit = createCoordinatorAudit(openCoordinatorAuditLog(config, signingKey));
  const pinned = new Map<string, Member>();
  // A node that connects out proves itself with one of the keys membership pins for it; nobody else is let in.
  const connectLinks = createConnectLinks({
    coordinatorId: config.coordinatorId,
    keysOf: (nodeId) => pinned.get(nodeId)?.keys,
    keepaliveTimeMs: config.nodeKeepalive.timeMs,
    ...(config.nodeConnect ? { proofTimeoutMs: config.nodeConnect.proofTimeoutMs } : {}),
    log: logger,
  });
  const members = await openMembers(config, connectLinks);
  for (const m of members) pinned.set(m.id, m);
  const people = createSqlitePeople(peopleFile(config));
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
        config.researcherIssuers.map(async (i) =>
          'jwks' in i
            ? {
                issuer: i.issuer,
                audience: i.audience,
                keys: await createKeyRing((readJsonFile(i.jwks, 'issuer keys') as { keys: Parameters<typeof createKeyRing>[0] }).keys),
              }
            : i,
        ),
      )),
    ],
  });

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const queries = new Counter({ name: 'biospec_federated_queries_total', help: 'Federated count queries answered', registers: [metrics] });
  const siteAnswers = new Counter({
    name: 'biospec_site_answers_total',
    help: 'Per-site outcomes of federated queries',
    labelNames: ['node', 'status'],
    registers: [metrics],
  });
  const siteLatency = new Histogram({
    name: 'biospec_site_latency_seconds',
    help: 'Time until each site answered or failed',
    labelNames: ['node'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics],
  });
  const lastStatus = new Map<string, SiteStatus>();
  const directory = config.directory?.enabled ? await startCoordinatorDirectory(config, members, { logger, metrics, links: connectLinks }) : undefined;

  const federatedCount = createFederatedCount({
    coordinatorId: config.coordinatorId,
    signingKey,
    members: () => members,
    pseudonymSecret,
    rateLimiter: createRateLimiter(config.rateLimits),
    defaultDeadlineMs: config.defaultDeadlineMs,
    queryLifetimeSeconds: config.queryLifetimeSeconds,
    logger,
    onSiteAnswered(node, status, latencyMs) {
      lastStatus.set(node, status);
      siteAnswers.inc({ node, status });
      siteLatency.observe({ node }, latencyMs / 1000);
    },
  });

  return {
    config,
    logger,
    signingKey,
    members,
    metrics,
    people,
    async authenticate(authorization) {
      const identity = await verifier.verify(authorization ?? '');
      const registration = registrations.get(identity.issuer) as IssuerRegistration;
      return { identity, person: resolvePerson(people, identity, registration) };
    },
    audit,
    async federatedCount(person, input) {
      const question = { researcher: researcherPseudonym(pseudonymSecret, person), query: input.query, purpose: input.purpose, project: input.project };
      let response: FederatedCountResponse;
      try {
        response = await federatedCount(person, input);
      } catch (reason) {
        await audit.recordRejectedQuery(question, reason);
        throw reason;
      }
      // Recorded before the researcher sees the answer, like a node's answers.
      await audit.recordQuery(question, response);
      queries.inc();
      return response;
    },
    async listNodes() {
      const outcomes = await fanOut(
        members,
        (m, deadline) => m.describe(deadline),
        { deadline: new Date(Date.now() + 1500) },
      );
      return outcomes.map((o) => {
        const status = o.ok ? SiteStatus.SITE_STATUS_OK : o.failure.status;
        lastStatus.set(o.site.id, status);
        return {
          nodeId: o.site.id,
          name: o.site.name,
          endpoint: o.site.endpoint,
          lastStatus: status,
          ...(o.ok && o.value.catalogueDonors ? { catalogueDonors: o.value.catalogueDonors } : {}),
          dataEpoch: o.ok ? o.value.dataEpoch : 0,
          policyJson: o.ok ? o.value.policyJson : '',
          guarantee: o.ok ? guaranteeOf(o.value.policyJson) : '',
        };
      });
    },
    jwks: () => ({ keys: [signingKey.publicJwk, ...retired] }),
    nodeJwks: () => Object.fromEntries(members.map((m) => [m.id, m.jwks])),
    directory: directory?.directory,
    connectLinks,
    stopDirectory: async () => directory?.stop(),
    close() {
      people.close();
      connectLinks.close();
      for (const m of members) {
        m.counts.close();
        m.client?.close();
      }
      audit.log.close();
    },
  };
}

/** What a node's published policy guarantees, in its own words, or why that cannot be said. */
function guaranteeOf(policyJson: string): string {
  try {
    return describeGuarantee(parsePolicy(JSON.parse(policyJson)));
  } catch {
    return 'unknown: the node published a policy this coordinator cannot read';
  }
}
