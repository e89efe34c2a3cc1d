import { Metadata } from '@grpc/grpc-js';
import fs from 'node:fs';
import { pino, type Logger } from 'pino';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { checkPrivatePermissions, createPrivateFile, makePrivateDir, readJsonFile, SiteStatus, type DescribeResponse, type FederatedCountResponse, type NodeInfo } from '@biospec/protocol';
import { createRateLimiter } from '@biospec/privacy';
import { createKeyRing, createResearcherVerifier, defaultHeadFile, importSigningKey, type ResearcherIdentity, type SigningKey } from '@biospec/trust';
import { fanOut } from '@biospec/federation';
import type { CoordinatorConfig } from './config.js';
import { coordinatorAuditFile, createCoordinatorAudit, openCoordinatorAuditLog, type CoordinatorAudit } from './coordinator-audit.js';
import { researcherPseudonym } from './pseudonym.js';
import { createFederatedCount, type FederatedCount } from './federated-count.js';
import { openMembers, type Member } from './members.js';

/** A coordinator's parts, opened from its config: what its gRPC and HTTP servers expose. */
export interface OpenCoordinator {
  config: CoordinatorConfig;
  logger: Logger;
  signingKey: SigningKey;
  members: readonly Member[];
  metrics: Registry;
  /** Turns an `authorization` header into a researcher, or throws UNAUTHENTICATED. */
  authenticate(authorization: string | undefined): Promise<ResearcherIdentity>;
  federatedCount: FederatedCount;
  /** The coordinator's signed audit log; the access workflow records its actions with `recordAccess`. */
  audit: CoordinatorAudit;
  listNodes(): Promise<NodeInfo[]>;
  /** The coordinator's public keys (current and retired), for nodes to pin. */
  jwks(): { keys: unknown[] };
  /** Every member's public keys, for researchers to verify saved results offline. */
  nodeJwks(): Record<string, { keys: unknown[] }>;
  close(): void;
}

/**
 * Makes the state folder 0700 and the audit database 0600 where they do not exist yet, then
 * checks the coordinator's folders, audit database (with -wal and -shm) and secrets: one that
 * other users can read stops the start, or is logged under `filePermissions: "warn"`.
 */
export function secureCoordinatorFiles(config: CoordinatorConfig, logger: Logger): void {
  makePrivateDir(config.stateDir);
  const auditFile = coordinatorAuditFile(config);
  createPrivateFile(auditFile);
  const wide = checkPrivatePermissions(
    {
      dirs: [config.baseDir, config.stateDir],
      files: [config.signingKey, config.pseudonymSecret, defaultHeadFile(auditFile)],
      databases: [auditFile],
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
  const members = await openMembers(config);
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
    authenticate: (authorization) => verifier.verify(authorization ?? ''),
    audit,
    async federatedCount(identity, input) {
      const question = { researcher: researcherPseudonym(pseudonymSecret, identity), query: input.query, purpose: input.purpose, project: input.project };
      let response: FederatedCountResponse;
      try {
        response = await federatedCount(identity, input);
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
        (m, deadline) =>
          new Promise<DescribeResponse>((resolve, reject) =>
            m.client.describe({}, new Metadata(), { deadline }, (err, res) => (err ? reject(err) : resolve(res))),
          ),
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
          catalogueSize: o.ok ? o.value.catalogueSize : 0,
          dataEpoch: o.ok ? o.value.dataEpoch : 0,
          policyJson: o.ok ? o.value.policyJson : '',
        };
      });
    },
    jwks: () => ({ keys: [signingKey.publicJwk, ...retired] }),
    nodeJwks: () => Object.fromEntries(members.map((m) => [m.id, m.jwks])),
    close() {
      for (const m of members) {
        m.counts.close();
        m.client.close();
      }
      audit.log.close();
    },
  };
}
