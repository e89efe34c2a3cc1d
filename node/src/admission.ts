import { BiospecError } from '@biospec/protocol';

/** How much work a node takes on at once; `node.json` → `admission`. */
export interface AdmissionLimits {
  /** Questions being computed at once, node-wide. */
  concurrent: number;
  /** Questions waiting for a free slot, node-wide; more are refused at once (BUSY). */
  queued: number;
}

/** What happened to the questions a node was asked, since it started. */
export interface AdmissionStats {
  /** Questions whose work was started (handed to the answer path). */
  started: number;
  /** Refused at once because the node could not have answered them in time (BUSY). */
  refusedBusy: number;
  /** Admitted, then dropped before any work because their deadline passed while they waited. */
  droppedExpired: number;
  /** Admitted, then dropped before any work because their caller went away. */
  droppedCancelled: number;
  /** Being computed now. */
  running: number;
  /** Waiting now. */
  queued: number;
  /** Current estimate of the time one question takes, in milliseconds (0 before the first answer). */
  costMs: number;
}

/** Why an admitted question was dropped without being worked on. */
export type DropReason = 'deadline' | 'cancelled';

export interface WorkContext {
  /** When the caller stops waiting. */
  deadline?: Date | undefined;
  /** Aborted when the caller goes away. */
  signal?: AbortSignal | undefined;
}

export interface Admission {
  /**
   * Runs `work` now if a slot is free; otherwise queues it if it can still be answered
   * before its deadline, judged by how long recent questions took, and refuses it at once
   * with BUSY and a retry hint if not (or if the queue is full). A queued question whose
   * deadline passes, or whose caller goes away, is dropped before `work` runs.
   */
  run<T>(work: () => Promise<T>, context?: WorkContext): Promise<T>;
  /** The hint given with a BUSY refusal now: about how long until a newcomer could be started. */
  retryAfterMs(): number;
  stats(): AdmissionStats;
}

export interface AdmissionOptions {
  limits: AdmissionLimits;
  /** Called for each admitted question dropped unworked (to audit it). */
  onDropped?: (reason: DropReason) => void;
  now?: () => number;
}

interface Waiting {
  start: () => void;
  refuse: (reason: BiospecError) => void;
  deadline: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Weight of the newest duration in the running estimate of a question's cost. */
const SMOOTHING = 0.2;
/** Smallest retry hint: a client should not come back within the same millisecond. */
const MIN_RETRY_MS = 10;

/**
 * A node-wide admission limit. Questions are computed at most `concurrent` at once; the
 * rest wait in arrival order, at most `queued` of them. A newcomer that must wait is
 * admitted only if its estimated start, (waiting ahead + 1) × cost / concurrent, plus its
 * own cost fits before its deadline: a node under more questions than it can answer refuses
 * the excess at once instead of queueing them past their deadlines. `cost` is a moving
 * average of how long questions took, start to end, at the concurrency they ran at.
 */
export function createAdmission(options: AdmissionOptions): Admission {
  const { concurrent, queued: maxQueued } = options.limits;
  const now = options.now ?? Date.now;
  const waiting: Waiting[] = [];
  let running = 0;
  let costMs = 0;
  const counts = { started: 0, refusedBusy: 0, droppedExpired: 0, droppedCancelled: 0 };

  const waitFor = (ahead: number) => ((ahead + 1) * costMs) / concurrent;
  const retryAfterMs = () => Math.max(MIN_RETRY_MS, Math.ceil(waitFor(waiting.length)));

  function busy(why: string): BiospecError {
    counts.refusedBusy += 1;
    return new BiospecError('BUSY', `node busy: ${why}`, { retryAfterMs: retryAfterMs() });
  }

  function drop(entry: Waiting, reason: DropReason) {
    if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
    if (reason === 'deadline') {
      counts.droppedExpired += 1;
      entry.refuse(new BiospecError('DEADLINE_EXCEEDED', 'the deadline passed before the question was counted'));
    } else {
      counts.droppedCancelled += 1;
      entry.refuse(new BiospecError('UNAVAILABLE', 'the caller went away before the question was counted'));
    }
    options.onDropped?.(reason);
  }

  function pump() {
    while (running < concurrent && waiting.length > 0) {
      const entry = waiting.shift()!;
      if (entry.deadline <= now()) {
        drop(entry, 'deadline');
        continue;
      }
      if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
      entry.start();
    }
  }

  function launch<T>(work: () => Promise<T>, resolve: (value: T) => void, reject: (reason: unknown) => void) {
    running += 1;
    counts.started += 1;
    const started = now();
    const finish = () => {
      running -= 1;
      const took = now() - started;
      costMs = costMs === 0 ? took : costMs + SMOOTHING * (took - costMs);
      pump();
    };
    Promise.resolve()
      .then(work)
      .then(
        (value) => {
          finish();
          resolve(value);
        },
        (reason: unknown) => {
          finish();
          reject(reason);
        },
      );
  }

  return {
    run(work, context = {}) {
      return new Promise((resolve, reject) => {
        const arrived = now();
        const deadline = context.deadline?.getTime() ?? Infinity;
        const { signal } = context;
        if (signal?.aborted) {
          counts.droppedCancelled += 1;
          reject(new BiospecError('UNAVAILABLE', 'the caller went away before the question was counted'));
          options.onDropped?.('cancelled');
          return;
        }
        if (deadline <= arrived) {
          counts.droppedExpired += 1;
          reject(new BiospecError('DEADLINE_EXCEEDED', 'the deadline passed before the question was counted'));
          options.onDropped?.('deadline');
          return;
        }
        if (running < concurrent && waiting.length === 0) {
          launch(work, resolve, reject);
          return;
        }
        if (waiting.length >= maxQueued) {
          reject(busy(`${waiting.length} questions already waiting`));
          return;
        }
        if (arrived + waitFor(waiting.length) + costMs > deadline) {
          reject(busy(`${waiting.length} questions waiting would keep this one past its deadline`));
          return;
        }
        const entry: Waiting = {
          start: () => launch(work, resolve, reject),
          refuse: reject,
          deadline,
          signal,
          onAbort: undefined,
        };
        if (signal) {
          entry.onAbort = () => {
            const at = waiting.indexOf(entry);
            if (at < 0) return;
            waiting.splice(at, 1);
            drop(entry, 'cancelled');
          };
          signal.addEventListener('abort', entry.onAbort, { once: true });
        }
        waiting.push(entry);
      });
    },
    retryAfterMs,
    stats: () => ({ ...counts, running, queued: waiting.length, costMs }),
  };
}
