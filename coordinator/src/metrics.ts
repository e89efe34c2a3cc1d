/**
 * Every Prometheus metric the coordinator exports, defined in this one module
 * (docs/OPERATIONS.md lists them).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BiospecError, SiteStatus, siteStatusToJSON, type FederatedCountResponse } from '@biospec/protocol';

/**
 * How a federated question ended: every site answered (`answered`), some did (`partial`),
 * none did (`unanswered`), or the coordinator refused it (`refused`, with the error code
 * as reason: `unauthenticated`, `permission_denied`, `rate_limited`, `invalid_query`,
 * `invalid_argument`, `budget_exhausted` when every site refused for budget, ...).
 */
export type FederatedOutcomeLabel = 'answered' | 'partial' | 'unanswered' | 'refused';

export interface CoordinatorMetrics {
  readonly registry: Registry;
  /** One federated question's outcome, from its response or from why it was refused. */
  question(result: { response: FederatedCountResponse } | { refused: unknown }): void;
  /** One site's part of a federated question. */
  siteAnswered(node: string, status: SiteStatus, latencyMs: number): void;
  /** The status a site was last seen with (by a question or by listing the nodes). */
  siteSeen(node: string, status: SiteStatus): void;
  /** One REST request served, by route pattern and status. */
  httpRequest(route: string, method: string, status: number, seconds: number): void;
  /** Connects the directory gauge to the directory (when the coordinator joined one): member nodes with a fresh descriptor. */
  observeDirectory(liveMembers: () => number): void;
}

/** `ok`, `held`, `unreachable`, ...: a site status as labels show it. */
export function siteStatusLabel(status: SiteStatus): string {
  return siteStatusToJSON(status).replace(/^SITE_STATUS_/, '').toLowerCase();
}

/** Every site status a gauge reports, so a status that stopped being current drops to 0. */
const SITE_STATUSES = [
  SiteStatus.SITE_STATUS_OK,
  SiteStatus.SITE_STATUS_HELD,
  SiteStatus.SITE_STATUS_BUSY,
  SiteStatus.SITE_STATUS_WARMING_UP,
  SiteStatus.SITE_STATUS_TIMEOUT,
  SiteStatus.SITE_STATUS_UNREACHABLE,
  SiteStatus.SITE_STATUS_REJECTED,
  SiteStatus.SITE_STATUS_ERROR,
];

export function federatedOutcome(response: { sites: readonly { status: SiteStatus }[] }): Exclude<FederatedOutcomeLabel, 'refused'> {
  const answered = response.sites.filter((s) => s.status === SiteStatus.SITE_STATUS_OK || s.status === SiteStatus.SITE_STATUS_HELD).length;
  if (answered === 0) return 'unanswered';
  return answered === response.sites.length ? 'answered' : 'partial';
}

export function createCoordinatorMetrics(labels: { coordinator: string }): CoordinatorMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const questions = new Counter({
    name: 'biospec_federated_questions_total',
    help: 'Federated questions by outcome (answered, partial, unanswered, refused) and, for refusals, the error code',
    labelNames: ['outcome', 'reason'],
    registers: [registry],
  });
  const siteAnswers = new Counter({
    name: 'biospec_site_answers_total',
    help: 'Per-site outcomes of federated questions',
    labelNames: ['node', 'status'],
    registers: [registry],
  });
  const siteLatency = new Histogram({
    name: 'biospec_site_latency_seconds',
    help: 'Time until each site answered or failed',
    labelNames: ['node'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const siteStatus = new Gauge({
    name: 'biospec_site_status',
    help: 'The status each member site was last seen with: 1 for the current one',
    labelNames: ['node', 'status'],
    registers: [registry],
  });
  const httpRequests = new Histogram({
    name: 'biospec_http_request_seconds',
    help: 'REST requests by route, method and HTTP status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  let liveMembers: (() => number) | undefined;
  new Gauge({
    name: 'biospec_directory_members_live',
    help: 'Member nodes with a fresh descriptor in the directory',
    registers: [registry],
    collect() {
      if (liveMembers) this.set(liveMembers());
    },
  });

  const siteSeen = (node: string, status: SiteStatus) => {
    for (const s of SITE_STATUSES) siteStatus.set({ node, status: siteStatusLabel(s) }, s === status ? 1 : 0);
  };
  return {
    registry,
    question(result) {
      if ('response' in result) questions.inc({ outcome: federatedOutcome(result.response), reason: '' });
      else questions.inc({ outcome: 'refused', reason: BiospecError.from(result.refused).code.toLowerCase() });
    },
    siteAnswered(node, status, latencyMs) {
      siteAnswers.inc({ node, status: siteStatusLabel(status) });
      siteLatency.observe({ node }, latencyMs / 1000);
      siteSeen(node, status);
    },
    siteSeen,
    httpRequest: (route, method, status, seconds) => httpRequests.observe({ route, method, status: String(status) }, seconds),
    observeDirectory(source) {
      liveMembers = source;
    },
  };
}
