/**
 * Readiness: whether a service can do its job now (its count index answers, its
 * databases take writes, its keys are pinned), as opposed to liveness (the process
 * runs). Checks run on a timer, off the request path; `/readyz` and gRPC health
 * report the last result, so a probe never waits on a database.
 */

/** One condition of readiness. */
export interface ReadinessCheck {
  /** Short name shown in `/readyz`, e.g. `countIndex`, `databases`, `coordinatorKeys`. */
  name: string;
  /** Resolves to a problem when not ready, or undefined when ready. A throw counts as a problem. */
  run(): Promise<string | undefined> | string | undefined;
  /**
   * On the timer, run at most this often and report the last result in between: for a check that
   * costs more than reading state (the write probe syncs a file to disk). {@link Readiness.refresh}
   * runs it regardless.
   */
  everyMs?: number;
}

export interface ReadinessReport {
  ready: boolean;
  /** Each check's problem, or `ok`. */
  checks: Record<string, string>;
  /** ISO time of the evaluation. */
  checkedAt: string;
}

export interface Readiness {
  /** The last evaluation (not ready with `checks: {}` before the first one). */
  report(): ReadinessReport;
  /** Runs every check now (whatever its `everyMs`) and notifies listeners when readiness changed. */
  refresh(): Promise<ReadinessReport>;
  /** Called with every evaluation whose `ready` differs from the one before (and with the first). */
  onChange(listener: (report: ReadinessReport) => void): void;
  /** Runs the checks every `everyMs` until {@link stop}; the timer does not keep the process alive. */
  start(everyMs: number): void;
  /**
   * Stops the timer and resolves once an evaluation in flight has ended, so nothing a check
   * writes (the write probes) outlives the service's stop.
   */
  stop(): Promise<void>;
}

export function createReadiness(checks: readonly ReadinessCheck[], options: { now?: () => Date } = {}): Readiness {
  const now = options.now ?? (() => new Date());
  let last: ReadinessReport = { ready: false, checks: {}, checkedAt: now().toISOString() };
  let evaluated = false;
  const listeners: ((report: ReadinessReport) => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<ReadinessReport> | undefined;
  // When each check last ran (ms since the epoch), for those with `everyMs`.
  const ranAt = new Map<ReadinessCheck, number>();

  async function run(check: ReadinessCheck, all: boolean): Promise<[string, string]> {
    const at = now().getTime();
    const previous = last.checks[check.name];
    if (!all && check.everyMs !== undefined && previous !== undefined && at - (ranAt.get(check) ?? -Infinity) < check.everyMs) return [check.name, previous];
    ranAt.set(check, at);
    try {
      return [check.name, (await check.run()) ?? 'ok'];
    } catch (reason) {
      return [check.name, reason instanceof Error ? reason.message : String(reason)];
    }
  }

  async function evaluate(all: boolean): Promise<ReadinessReport> {
    const results = await Promise.all(checks.map((check) => run(check, all)));
    const report: ReadinessReport = { ready: results.every(([, r]) => r === 'ok'), checks: Object.fromEntries(results), checkedAt: now().toISOString() };
    const changed = !evaluated || report.ready !== last.ready;
    last = report;
    evaluated = true;
    if (changed) for (const listener of listeners) listener(report);
    return report;
  }

  const evaluateOnce = (all: boolean) => {
    // One evaluation at a time: a slow check must not pile up timers' evaluations behind it.
    running ??= evaluate(all).finally(() => {
      running = undefined;
    });
    return running;
  };
  const refresh = () => evaluateOnce(true);

  return {
    report: () => last,
    refresh,
    onChange(listener) {
      listeners.push(listener);
    },
    start(everyMs) {
      if (timer) return;
      // Checks report their own failures in the report; only a throwing listener rejects, and the next tick evaluates again.
      timer = setInterval(() => {
        evaluateOnce(false).catch(() => undefined);
      }, everyMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}
