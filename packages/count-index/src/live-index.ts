/**
 * Keeps an {@link IndexData} in step with a catalogue. Every count reads the
 * data epoch; when it moved, the catalogue says why: withdrawals are applied
 * to the index at once (their donors' rows stop counting), anything else (an
 * import) needs a rebuild. Changes from other processes are seen the same way.
 */
import type { ContributionCaps, Query } from '@biospec/query';
import { buildIndex } from './build.js';
import { countWithIndex, createServedIndex, type ServedIndex } from './count.js';
import type { BuiltIndex, IndexCount, IndexData } from './index-data.js';
import { answersFromProfiles } from './profile-count.js';
import type { RowSnapshot } from './row-source.js';
import { withdrawRows } from './withdraw.js';

/**
 * How the index is (re)built:
 * - `background`: in slices between event-loop turns on a connection of its
 *   own; until it is ready, counts return undefined (the caller uses SQL).
 * - `inline`: synchronously, on the count that finds it missing or stale.
 * - `off`: never; every count returns undefined.
 */
export type CountIndexMode = 'background' | 'inline' | 'off';

export interface CountIndex {
  /** The count from the index, or undefined when it is not (yet) current. */
  count(query: Query): IndexCount | undefined;
  /** Whether the current index answers `query` from its profile tables (else from its rows); undefined when not current. */
  answersFromProfiles(query: Query): boolean | undefined;
  /** Starts a build now (background mode), e.g. after an import. */
  refresh(): void;
  /** Resolves when no build is running. */
  idle(): Promise<void>;
  /** Rows and bytes of the built index, or null when none is built. */
  stats(): { rows: number; bytes: number; epoch: number; buildMs: number; builds: number } | null;
  close(): void;
}

/** What the live index asks of the catalogue it follows. */
export interface IndexSource {
  /** The catalogue's data epoch now. */
  epoch(): number;
  /**
   * The withdrawals that moved the epoch from `from` to `to`, each with the
   * row ids of its donor, read together; null when anything else (an import)
   * changed the catalogue in between, or the event log does not reach `to`.
   */
  withdrawalsBetween(from: number, to: number): { donorId: string; rowIds: number[] }[] | null;
  /** A consistent snapshot of the rows to build from; closed once read. */
  openSnapshot(): RowSnapshot & { close(): void };
}

export interface CountIndexOptions {
  source: IndexSource;
  mode: CountIndexMode;
  /** Per-donor contribution caps every count applies (ContributionCaps); none: uncapped counts. */
  caps?: ContributionCaps;
  /** Rows per background slice. */
  sliceRows?: number;
}

/** About 20-40 ms of work per event-loop turn. */
const BACKGROUND_SLICE_ROWS = 16384;

interface Built {
  served: ServedIndex;
  /** The main index: every row (its epoch is the built index's). */
  data: IndexData;
  buildMs: number;
}

export function createCountIndex(options: CountIndexOptions): CountIndex {
  const { source, mode } = options;
  let built: Built | null = null;
  let building: { cancel: () => void; done: Promise<void> } | null = null;
  let closed = false;
  let builds = 0;

  const adopt = (index: BuiltIndex, buildMs: number): void => {
    built = { served: createServedIndex(index), data: index.main, buildMs };
    builds++;
  };
  const buildOptions = (chunkRows?: number) => ({ ...(chunkRows === undefined ? {} : { chunkRows }), ...(options.caps === undefined ? {} : { caps: options.caps }) });

  const buildInline = (): void => {
    const started = performance.now();
    const reader = source.openSnapshot();
    try {
      const steps = buildIndex(reader, buildOptions());
      let step = steps.next();
      while (!step.done) step = steps.next();
      adopt(step.value, performance.now() - started);
    } finally {
      reader.close();
    }
  };

  const buildInBackground = (): void => {
    if (building !== null || closed) return;
    built = null;
    const started = performance.now();
    const reader = source.openSnapshot();
    const steps = buildIndex(reader, buildOptions(options.sliceRows ?? BACKGROUND_SLICE_ROWS));
    let cancelled = false;
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const end = (): void => {
      reader.close();
      building = null;
      finish();
    };
    const slice = (): void => {
      if (cancelled) return;
      try {
        const step = steps.next();
        if (!step.done) {
          setImmediate(slice);
          return;
        }
        adopt(step.value, performance.now() - started);
      } catch {
        // A failed build leaves counts on SQL; the next stale count tries again.
      }
      end();
    };
    building = {
      cancel: () => {
        cancelled = true;
        steps.return(undefined as never);
        end();
      },
      done,
    };
    setImmediate(slice);
  };

  /** Brings the built index to `epoch` through withdrawals; false when only a rebuild can. */
  const catchUp = (current: Built, epoch: number): boolean => {
    const withdrawals = source.withdrawalsBetween(current.data.epoch, epoch);
    if (withdrawals === null) return false;
    const capped = current.served.built.capped;
    for (const { rowIds } of withdrawals) {
      withdrawRows(current.data, rowIds);
      if (capped !== null) withdrawRows(capped.data, rowIds);
    }
    current.data.epoch = epoch;
    if (capped !== null) capped.data.epoch = epoch;
    return true;
  };

  const current = (): Built | null => {
    if (mode === 'off' || closed) return null;
    const epoch = source.epoch();
    if (built !== null && built.data.epoch !== epoch && !catchUp(built, epoch)) built = null;
    if (built !== null) return built;
    if (mode === 'inline') {
      buildInline();
      return built;
    }
    buildInBackground();
    return null;
  };

  if (mode === 'background') buildInBackground();

  return {
    count(query) {
      const ready = current();
      if (ready === null) return undefined;
      return countWithIndex(query, ready.served);
    },
    answersFromProfiles(query) {
      const ready = current();
      return ready === null ? undefined : answersFromProfiles(query, ready.data);
    },
    refresh() {
      if (mode === 'background') buildInBackground();
    },
    async idle() {
      while (building !== null) await building.done;
    },
    stats() {
      if (built === null) return null;
      const { data, buildMs } = built;
      return { rows: data.rows, bytes: bytesOf(data), epoch: data.epoch, buildMs, builds };
    },
    close() {
      closed = true;
      building?.cancel();
      built = null;
    },
  };
}

function bytesOf(data: IndexData): number {
  let bytes = 0;
  const add = (a: ArrayBufferView | undefined): void => {
    bytes += a?.byteLength ?? 0;
  };
  [data.alive, data.ids, data.donorStarts, data.rootStarts, data.collection, data.quantity, data.collectedStart, data.collectedEnd].forEach(add);
  if (data.age instanceof Float64Array) add(data.age);
  else data.age.slices.forEach(add);
  Object.values(data.valueBits).forEach((list) => list.forEach(add));
  data.useBits.forEach(add);
  Object.values(data.dimensions).forEach(add);
  Object.values(data.changes).forEach((bits) => add(bits ?? undefined));
  for (const sets of [data.diagnosis, data.anatomicalSite]) for (const set of sets.values()) add(set.kind === 'list' ? set.rows : set.bits);
  if (data.profiles !== null) {
    // Plain arrays of small integers: about 8 bytes an element.
    const { keys, specimens, donors } = data.profiles;
    bytes += 8 * keys.rows.length * 14;
    for (const table of [specimens, donors]) if (table !== null) bytes += 8 * (table.profiles.values.length + 3 * table.runs.length);
    const byAge = data.profiles.specimensByAge;
    if (byAge !== null) {
      const { uniform, mixed } = byAge;
      [uniform.profile, uniform.age, uniform.runs, uniform.slots].forEach(add);
      bytes += 8 * (mixed.profiles.values.length + 3 * mixed.runs.length);
    }
  }
  return bytes;
}
