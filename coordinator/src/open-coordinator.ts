import { Metadata } from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import {
  checkPrivatePermissions,
  createPrivateFile,
  makePrivateDir,
  readJsonFile,
  SiteStatus,
  type DescribeResponse,
  type FederatedCountResponse,
  type NodeInfo,
} from '@biospec/protocol';
import { createRateLimiter, describeGuarantee, parsePolicy } from '@biospec/privacy';
import { createReadiness, type Readiness } from '@biospec/health';
import { holdPidFile } from '@biospec/backup';
import { resolvePerson, type IssuerRegistration, type PeopleRepository, type Person } from '@biospec/registry';
import { createKeyRing, createResearcherVerifier, defaultHeadFile, importSigningKey, type ResearcherIdentity, type SigningKey } from '@biospec/trust';
import { fanOut } from '@biospec/federation';
import type { CoordinatorConfig } from './config.js';
import { createCoordinatorAudit, type CoordinatorAudit } from './coordinator-audit.js';
import { coordinatorAuditFile, coordinatorDatabases, openCoordinatorState } from './coordinator-state.js';
import { researcherPseudonym } from './pseudonym.js';
import { createFederatedCount, type FederatedCount, type FederatedCountInput } from './federated-count.js';
import { createCoordinatorMetrics, type CoordinatorMetrics } from './metrics.js';
import { openMembers, type Member } from './members.js';
import { startCoordinatorDirectory } from './coordinator-directory.js';
import type { Directory } from '@biospec/directory';

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
  federatedCount: FederatedCount;
  /**
   * A federated question as a REST or gRPC call brings it: authenticate, read the input
   * (`input` throws INVALID_ARGUMENT for a malformed one), ask. Every outcome, refusals
   * before the question is asked included, is counted in the metrics.
   */
  ask(authorization: string | undefined, input: () => FederatedCountInput): Promise<FederatedCountResponse>;
  /** The coordinator's signed audit log; the access workflow records its actions with `recordAccess`. */
  audit: CoordinatorAudit;
  listNodes(): Promise<NodeInfo[]>;
  /** The coordinator's public keys (current and retired), for nodes to pin. */
  jwks(): { keys: unknown[] };
  /** Every member's public keys, for researchers to verify saved results offline. */
  nodeJwks(): Record<string, { keys: unknown[] }>;
  /** The network directory (liveness, announced endpoints and keys); undefined unless `directory.enabled`. */
  directory: Directory | undefined;
  /** Leaves the directory (if it joined one); call before {@link close}. */
  stopDirectory(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Makes the state folder 0700 and the audit database 0600 where they do not exist yet, then
 * checks the coordinator's folders, audit database (with -wal and -shm) and secrets: one that
 * other users can read stops the start, or is logged under `filePermissions: "warn"`.
 */
/** The pid file a running coordinator holds in its state folder; a restore refuses to write under a live one. */
export function coordinatorPidFile(config: CoordinatorConfig): string {
  return path.join(config.stateDir, 'coordinator.pid');
}

export function secureCoordinatorFiles(config: CoordinatorConfig, logger: Logger): void {
  makePrivateDir(config.stateDir);
  const auditFile = coordinatorAuditFile(config);
  for (const database of coordinatorDatabases(config)) createPrivateFile(database);
  const wide = checkPrivatePermissions(
    {
      dirs: [config.baseDir, config.stateDir],
      files: [config.signingKey, config.pseudonymSecret, defaultHeadFile(auditFile)],
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
  const members = await openMembers(config);
  const { people } = state;
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

  const metrics = createCoordinatorMetrics({ coordinator: config.coordinatorId });
  const rateLimiter = createRateLimiter(config.rateLimits, { store: state.rateLimits });
  const readiness = createReadiness([{ name: 'databases', run: () => state.writable() }]);
  readiness.onChange((report) => logger.info({ ready: report.ready, checks: report.checks }, report.ready ? 'coordinator ready' : 'coordinator not ready'));
  await readiness.refresh();
  readiness.start(READINESS_EVERY_MS);
  const directory = config.directory?.enabled ? await startCoordinatorDirectory(config, members, { logger, metrics }) : undefined;

  const federatedCount = createFederatedCount({
    coordinatorId: config.coordinatorId,
    signingKey,
    members: () => members,
    pseudonymSecret,
    rateLimiter,
    defaultDeadlineMs: config.defaultDeadlineMs,
    queryLifetimeSeconds: config.queryLifetimeSeconds,
    logger,
    onSiteAnswered: (node, status, latencyMs) => metrics.siteAnswered(node, status, latencyMs),
  });

  const authenticate = async (authorization: string | undefined): Promise<Caller> => {
    const identity = await verifier.verify(authorization ?? '');
    const registration = registrations.get(identity.issuer) as IssuerRegistration;
    return { identity, person: await resolvePerson(people, identity, registration) };
  };
  const audited: FederatedCount = async (person, input) => {
    const question = {
      researcher: researcherPseudonym(pseudonymSecret, person),
      query: input.query,
      purpose: input.purpose,
      project: input.project,
      ...(input.requestId === undefined ? {} : { requestId: input.requestId }),
    };
    let response: FederatedCountResponse;
    try {
      response = await federatedCount(person, input);
    } catch (reason) {
      await audit.recordRejectedQuery(question, reason);
      throw reason;
    }
    // Recorded before the researcher sees the answer, like a node's answers.
    await audit.recordQuery(question, response);
    return response;
  };

  // While this file names a live process, `biospec coordinator restore` refuses to write under the coordinator.
  const releasePidFile = holdPidFile(coordinatorPidFile(config));

  return {
    config,
    logger,
    signingKey,
    members,
    metrics,
    readiness,
    people,
    authenticate,
    audit,
    federatedCount: audited,
    async ask(authorization, input) {
      try {
        const { person } = await authenticate(authorization);
        const response = await audited(person, input());
        metrics.question({ response });
        return response;
      } catch (reason) {
        metrics.question({ refused: reason });
        throw reason;
      }
    },
    async listNodes() {
      const outcomes = await fanOut(
        members,
        (m, deadline) =>
          new Promise<DescribeResponse>((resolve, reject) =>
            m.client.describe({}, new Metadata(), { deadline }, (err, res) => (err ? reject(err) : resolve(res))),
          ),
        { deadline: new Date(Date.now() + 1500) },
      );
      return outcomes.map((o) => {
        const status = o.ok ? SiteStatus.SITE_STATUS_OK : o.failure.status;
        metrics.siteSeen(o.site.id, status);
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
    stopDirectory: async () => directory?.stop(),
    async close() {
      readiness.stop();
      for (const m of members) {
        m.counts.close();
        m.client.close();
      }
      await state.close();
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
