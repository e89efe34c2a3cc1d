import { Metadata } from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { readJsonFile, SiteStatus, type DescribeResponse, type NodeInfo } from '@biospec/protocol';
import { createRateLimiter, describeGuarantee, parsePolicy } from '@biospec/privacy';
import { createSqlitePeople, resolvePerson, type IssuerRegistration, type PeopleRepository, type Person } from '@biospec/registry';
import { createKeyRing, createResearcherVerifier, importSigningKey, type ResearcherIdentity, type SigningKey } from '@biospec/trust';
import { fanOut } from '@biospec/federation';
import type { CoordinatorConfig } from './config.js';
import { createFederatedCount, type FederatedCount } from './federated-count.js';
import { openMembers, type Member } from './members.js';

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
  listNodes(): Promise<NodeInfo[]>;
  /** The coordinator's public keys (current and retired), for nodes to pin. */
  jwks(): { keys: unknown[] };
  /** Every member's public keys, for researchers to verify saved results offline. */
  nodeJwks(): Record<string, { keys: unknown[] }>;
  close(): void;
}

export async function openCoordinator(config: CoordinatorConfig, options: { logger?: Logger } = {}): Promise<OpenCoordinator> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'coordinator' } }, pino.destination(2));
  const signingKey = await importSigningKey(readJsonFile(config.signingKey, 'signing key') as Parameters<typeof importSigningKey>[0]);
  const retired = config.retiredKeys ? ((readJsonFile(config.retiredKeys, 'retired keys') as { keys: unknown[] }).keys ?? []) : [];
  const pseudonymSecret = fs.readFileSync(config.pseudonymSecret);
  const members = await openMembers(config);
  fs.mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const people = createSqlitePeople(path.join(config.stateDir, 'people.db'));
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
    async federatedCount(person, input) {
      const response = await federatedCount(person, input);
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
          ...(o.ok && o.value.catalogueDonors ? { catalogueDonors: o.value.catalogueDonors } : {}),
          dataEpoch: o.ok ? o.value.dataEpoch : 0,
          policyJson: o.ok ? o.value.policyJson : '',
          guarantee: o.ok ? guaranteeOf(o.value.policyJson) : '',
        };
      });
    },
    jwks: () => ({ keys: [signingKey.publicJwk, ...retired] }),
    nodeJwks: () => Object.fromEntries(members.map((m) => [m.id, m.jwks])),
    close() {
      people.close();
      for (const m of members) {
        m.counts.close();
        m.client.close();
      }
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
