/**
 * Every Prometheus metric the node exports, defined in this one module (docs/OPERATIONS.md
 * lists them). The count path reports to {@link NodeMetrics}; gauges read the node's parts
 * when scraped, so nothing is computed between scrapes.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode } from '@biospec/protocol';

/**
 * What became of one question: answered, held for the steward, released by the steward,
 * refused (with the error code as reason), refused at once as busy (reason: `queue` for
 * the node-wide admission limit, `stream` for one stream's limit), refused while the count
 * index warms up, or dropped unworked (reason: `deadline` or `cancelled`).
 */
export type QuestionOutcome = 'answered' | 'held' | 'released_by_steward' | 'refused' | 'busy' | 'warming_up' | 'dropped';

/** How a count was answered (the catalogue's route), or `unknown` for a count source that does not say. */
export type CountRouteLabel = 'index' | 'profile' | 'sql' | 'unknown';

/** The count index as the metrics show it. */
export interface IndexState {
  /** `warming`: being built (counts by SQL or refused meanwhile); `ready`; `failed`; `off`: counting by SQL only. */
  state: 'warming' | 'ready' | 'failed' | 'off';
  /** Seconds the last completed build took, when one completed. */
  buildSeconds?: number;
}

/** What the gauges read when Prometheus scrapes. */
export interface NodeGaugeSources {
  holdsWaiting(): number;
  /** The newest audit entry's sequence number: the entries the log holds. */
  auditEntries(): number;
  indexState(): IndexState;
  /** Questions being computed and waiting at the admission limit. */
  admission(): { running: number; queued: number };
}

export interface NodeMetrics {
  readonly registry: Registry;
  question(outcome: QuestionOutcome, reason?: string): void;
  /** A refusal by error code: BUSY, WARMING_UP and dropped questions get their own outcomes. */
  refused(code: ErrorCode): void;
  countTook(route: CountRouteLabel, seconds: number): void;
  budgetCharged(epsilon: number): void;
  /** Connects the gauges to the node's parts (once they are open). */
  observe(sources: NodeGaugeSources): void;
}

const INDEX_STATES: readonly IndexState['state'][] = ['warming', 'ready', 'failed', 'off'];

/** Seconds; counts take microseconds from profiles to seconds by SQL on a large catalogue. */
const COUNT_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The node's registry, with Node.js process metrics (event-loop delay, heap, CPU) under their standard names. */
export function createNodeMetrics(labels: { node: string }): NodeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const questions = new Counter({
    name: 'biospec_node_questions_total',
    help: 'Signed questions by outcome (answered, held, released_by_steward, refused, busy, warming_up, dropped) and reason',
    labelNames: ['outcome', 'reason'],
    registers: [registry],
  });
  const countSeconds = new Histogram({
    name: 'biospec_node_count_seconds',
    help: 'Time to compute true counts, by route (index, profile, sql)',
    labelNames: ['route'],
    buckets: COUNT_BUCKETS,
    registers: [registry],
  });
  const budget = new Counter({
    name: 'biospec_node_budget_spent_epsilon_total',
    help: 'Privacy budget charged to researchers (sum of epsilon); repeats are free and add nothing',
    registers: [registry],
  });
  let sources: NodeGaugeSources | undefined;
  new Gauge({
    name: 'biospec_node_holds_waiting',
    help: 'Questions held for the steward and not yet released or declined',
    registers: [registry],
    collect() {
      if (sources) this.set(sources.holdsWaiting());
    },
  });
  new Gauge({
    name: 'biospec_node_audit_entries',
    help: 'Entries in the audit log',
    registers: [registry],
    collect() {
      if (sources) this.set(sources.auditEntries());
    },
  });
  new Gauge({
    name: 'biospec_node_count_index_state',
    help: 'The count index state: 1 for the current one of warming, ready, failed, off',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      if (!sources) return;
      const { state } = sources.indexState();
      for (const s of INDEX_STATES) this.set({ state: s }, s === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'biospec_node_count_index_build_seconds',
    help: 'How long the last completed count-index build took',
    registers: [registry],
    collect() {
      const seconds = sources?.indexState().buildSeconds;
      if (seconds !== undefined) this.set(seconds);
    },
  });
  new Gauge({
    name: 'biospec_node_admission_questions',
    help: 'Questions at the admission limit now: running or queued',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      if (!sources) return;
      const { running, queued } = sources.admission();
      this.set({ state: 'running' }, running);
      this.set({ state: 'queued' }, queued);
    },
  });

  const question = (outcome: QuestionOutcome, reason = '') => questions.inc({ outcome, reason });
  return {
    registry,
    question,
    refused(code) {
      if (code === 'BUSY') question('busy', 'queue');
      else if (code === 'WARMING_UP') question('warming_up');
      else question('refused', code.toLowerCase());
    },
    countTook: (route, seconds) => countSeconds.observe({ route }, seconds),
    budgetCharged(epsilon) {
      if (epsilon > 0) budget.inc(epsilon);
    },
    observe(next) {
      sources = next;
    },
  };
}
