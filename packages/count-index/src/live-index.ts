/**
 * Keeps a built index in step with a catalogue and decides which index
 * answers. Every call first reads the catalogue's data epoch; when it moved,
 * the catalogue's change log says why:
 *
 * - withdrawals are applied to the index at once (their donors' rows stop
 *   counting) and the index moves to their epoch;
 * - an import needs a new index. Until it is ready the old one keeps
 *   answering, for its own epoch (its figures are true for it), unless a
 *   later withdrawal touches a donor it counts: then it is dropped at once, as
 *   it is true for no epoch any more. A new index replaces the old one whole,
 *   so no answer mixes two epochs.
 *
 * Builds run off the event loop (`IndexSource.loadOffThread`: a worker
 * thread that first tries the index persisted next to the catalogue), or
 * synchronously in `inline` mode (tests). A failed build is reported once in
 * `status()` (and to `onFailure`) and retried when the epoch moves or after
 * {@link RETRY_MS}, not on every count.
 */
import type { ContributionCaps, CountQuestion } from '@biospec/query';
import { buildIndex } from './build.js';
import { countWithIndex, createServedIndex, type ServedIndex } from './count.js';
import type { BuiltIndex, IndexCount, IndexData } from './index-data.js';
import { answersFromProfiles } from './profile-count.js';
import type { RowSnapshot } from './row-source.js';
import { donorRun, withdrawDonor, type DonorOfRow } from './withdraw.js';
import { isSliced } from './age-slices.js';
import { hasBit } from './bits.js';

/**
 * How the index is (re)built:
 * - `background`: off the event loop (IndexSource.loadOffThread); until one
 *   is ready, {@link CountIndex.count} answers nothing and the caller decides.
 * - `inline`: synchronously, on the call that finds it missing or stale (tests).
 * - `off`: never; nothing is answered from an index.
 */
export type CountIndexMode = 'background' | 'inline' | 'off';

/** One change of the catalogue after some epoch. */
export interface CatalogueChange {
  kind: string;
  /** The donor of a withdrawal. */
  donorId: string | null;
  /** The epoch after the change. */
  epoch: number;
}

/** An index built or read off the event loop. */
export interface LoadedIndex {
  built: BuiltIndex;
  /** Time to build or read it. */
  ms: number;
  /** Read from the persisted file, or built from the rows. */
  from: 'file' | 'build';
  /** Why the persisted file was not used, when it was not. */
  fileProblem?: string;
}

/** What the live index asks of the catalogue it follows. */
export interface IndexSource {
  /** The catalogue's data epoch now. */
  epoch(): number;
  /**
   * The changes that moved the epoch from `from` to `to`, oldest first (only
   * those that changed something); null when the log does not account for
   * every step up to `to`.
   */
  changesBetween(from: number, to: number): CatalogueChange[] | null;
  /** The donor of a catalogue row id (for finding a withdrawn donor's rows). */
  donorOfRow: DonorOfRow;
  /** A consistent snapshot of the rows, for an inline build; closed once read. */
  openSnapshot(): RowSnapshot & { close(): void };
  /** Builds (or, with `tryFile`, first tries to read the persisted) index off the event loop. */
  loadOffThread?(request: { caps: ContributionCaps | null; tryFile: boolean }): Promise<LoadedIndex>;
}

export interface CountIndexOptions {
  source: IndexSource;
  mode: CountIndexMode;
  /** Per-donor contribution caps every count applies (ContributionCaps); none: uncapped counts. */
  caps?: ContributionCaps;
  /** Told once per failed build, with its cause. */
  onFailure?: (cause: Error) => void;
  /** Told of each index that starts answering. */
  onReady?: (info: { epoch: number; rows: number; ms: number; from: 'file' | 'build'; fileProblem?: string }) => void;
}

/** What the index is doing, for a node's health. */
export interface CountIndexStatus {
  /**
   * `ready`: an index answers at the catalogue's epoch; `warming`: the index of
   * the current epoch is being built (an older one may answer meanwhile);
   * `failed`: its last build failed (`cause`); `off`: no index is kept.
   */
  state: 'ready' | 'warming' | 'failed' | 'off';
  /** The catalogue's data epoch. */
  dataEpoch: number;
  /** The index answering now (perhaps of an older epoch), or null. */
  serving: { epoch: number; rows: number; ms: number; from: 'file' | 'build'; fileProblem?: string } | null;
  cause?: string;
}

/** An indexed count with the epoch it is true for. */
export interface EpochCount extends IndexCount {
  epoch: number;
  /** True when the epoch is the catalogue's current one; false for an older index answering while a new one builds. */
  fresh: boolean;
}

export interface CountIndex {
  /** The count from the index answering now (see {@link EpochCount.fresh}), or undefined when none answers. */
  count(query: CountQuestion): EpochCount | undefined;
  /** The epoch and freshness of the index answering now, or undefined when none does. */
  serving(): { epoch: number; fresh: boolean } | undefined;
  /** Whether the answering index counts `query` from its profile tables (else from its rows); undefined when none answers. */
  answersFromProfiles(query: CountQuestion): boolean | undefined;
  /** Non-withdrawn rows, donors, rows per material and per collection code, of the index answering now. */
  totals(): { epoch: number; rows: number; donors: number; materials: number[]; collections: number[]; names: IndexData['names'] } | undefined;
  /** Looks at the catalogue now: applies withdrawals, starts a build when an import needs one. */
  refresh(): void;
  /** Resolves when no build is running and none is needed (or the last one failed). */
  idle(): Promise<void>;
  status(): CountIndexStatus;
  /** Rows and bytes of the answering index, or null. */
  stats(): { rows: number; bytes: number; epoch: number; buildMs: number; builds: number } | null;
  close(): void;
}

/** A failed build is tried again after this long (or when the epoch moves). */
const RETRY_MS = 60_000;

interface Serving {
  served: ServedIndex;
  /** The epoch the figures are true for. */
  epoch: number;
  /** Changes up to this epoch were looked at. */
  checked: number;
  /** True once an import came after `epoch`: later withdrawals can no longer move it forward. */
  behind: boolean;
  ms: number;
  from: 'file' | 'build';
  fileProblem?: string;
}

export function createCountIndex(options: CountIndexOptions): CountIndex {
  const { source, mode } = options;
  const caps = options.caps ?? null;
  let serving: Serving | null = null;
  let building: Promise<void> | null = null;
  let loads = 0;
  let failure: { cause: Error; epoch: number; at: number } | null = null;
  let closed = false;
  let builds = 0;

  const adopt = (loaded: LoadedIndex): void => {
    const epoch = loaded.built.main.epoch;
    if (serving !== null && epoch < serving.epoch) return;
    serving = { served: createServedIndex(loaded.built), epoch, checked: epoch, behind: false, ms: loaded.ms, from: loaded.from };
    if (loaded.fileProblem !== undefined) serving.fileProblem = loaded.fileProblem;
    builds++;
    failure = null;
    options.onReady?.({
      epoch,
      rows: loaded.built.main.rows,
      ms: loaded.ms,
      from: loaded.from,
      ...(loaded.fileProblem === undefined ? {} : { fileProblem: loaded.fileProblem }),
    });
  };
  const fail = (cause: unknown, epoch: number): void => {
    const error = cause instanceof Error ? cause : new Error(String(cause));
    failure = { cause: error, epoch, at: Date.now() };
    options.onFailure?.(error);
  };

  const buildInline = (epoch: number): void => {
    const started = performance.now();
    try {
      const snapshot = source.openSnapshot();
      try {
        const steps = buildIndex(snapshot, caps === null ? {} : { caps });
        let step = steps.next();
        while (!step.done) step = steps.next();
        adopt({ built: step.value, ms: performance.now() - started, from: 'build' });
      } finally {
        snapshot.close();
      }
    } catch (cause) {
      fail(cause, epoch);
    }
  };

  const startBuild = (epoch: number): void => {
    if (building !== null || closed) return;
    if (failure !== null && failure.epoch === epoch && Date.now() - failure.at < RETRY_MS) return;
    if (mode === 'inline') return buildInline(epoch);
    const load = source.loadOffThread;
    if (load === undefined) return buildInline(epoch);
    const tryFile = loads++ === 0;
    building = load
      .call(source, { caps, tryFile })
      .then(
        (loaded) => {
          if (!closed) adopt(loaded);
        },
        (cause: unknown) => {
          if (!closed) fail(cause, epoch);
        },
      )
      .finally(() => {
        building = null;
        if (!closed) refresh();
      });
  };

  /** True when `donorId` has rows the index still counts. */
  const counts = (data: IndexData, donorId: string): boolean => {
    const run = donorRun(data, donorId, source.donorOfRow);
    if (run === null) return false;
    for (let row = run[0]; row < run[1]; row++) if (hasBit(data.alive, row)) return true;
    return false;
  };

  const catchUp = (current: Serving, epoch: number): Serving | null => {
    const changes = source.changesBetween(current.checked, epoch);
    if (changes === null) {
      current.behind = true;
      current.checked = epoch;
      return current;
    }
    const { main, capped } = current.served.built;
    for (const change of changes) {
      if (change.kind !== 'withdrawal' || change.donorId === null) {
        current.behind = true;
        continue;
      }
      if (current.behind) {
        // True for its own epoch only while it counts none of the withdrawn donor's rows.
        if (counts(main, change.donorId)) return null;
        continue;
      }
      withdrawDonor(main, change.donorId, source.donorOfRow);
      if (capped !== null) withdrawDonor(capped.data, change.donorId, source.donorOfRow);
      current.epoch = change.epoch;
      main.epoch = change.epoch;
      if (capped !== null) capped.data.epoch = change.epoch;
    }
    if (!current.behind) {
      current.epoch = epoch;
      main.epoch = epoch;
      if (capped !== null) capped.data.epoch = epoch;
    }
    current.checked = epoch;
    return current;
  };

  const refresh = (): void => {
    if (mode === 'off' || closed) return;
    const epoch = source.epoch();
    if (serving !== null && serving.checked < epoch) serving = catchUp(serving, epoch);
    if (serving === null || serving.epoch < epoch) startBuild(epoch);
  };

  const answering = (): Serving | null => {
    refresh();
    return serving;
  };

  if (mode === 'background') refresh();

  return {
    count(query) {
      const current = answering();
      if (current === null) return undefined;
      const { total, strata } = countWithIndex(query, current.served);
      return { epoch: current.epoch, fresh: !current.behind, total, strata };
    },
    serving() {
      const current = answering();
      return current === null ? undefined : { epoch: current.epoch, fresh: !current.behind };
    },
    answersFromProfiles(query) {
      const current = answering();
      return current === null ? undefined : answersFromProfiles(query, current.served.built.main);
    },
    totals() {
      const current = answering();
      if (current === null) return undefined;
      const main = current.served.built.main;
      return {
        epoch: current.epoch,
        rows: main.aliveRows,
        donors: main.aliveDonors,
        materials: main.valueCounts.material_type,
        collections: main.collectionRows,
        names: main.names,
      };
    },
    refresh,
    async idle() {
      for (;;) {
        refresh();
        if (building === null) return;
        await building;
      }
    },
    status() {
      const dataEpoch = mode === 'off' || closed ? source.epoch() : (refresh(), source.epoch());
      const current = serving as Serving | null;
      const servingInfo =
        current === null
          ? null
          : {
              epoch: current.epoch,
              rows: current.served.built.main.rows,
              ms: current.ms,
              from: current.from,
              ...(current.fileProblem === undefined ? {} : { fileProblem: current.fileProblem }),
            };
      if (mode === 'off') return { state: 'off', dataEpoch, serving: null };
      if (current !== null && !current.behind && current.epoch === dataEpoch) return { state: 'ready', dataEpoch, serving: servingInfo };
      if (building === null && failure !== null) return { state: 'failed', dataEpoch, serving: servingInfo, cause: failure.cause.message };
      return { state: 'warming', dataEpoch, serving: servingInfo };
    },
    stats() {
      const current = answering();
      if (current === null) return null;
      const { main, capped } = current.served.built;
      return { rows: main.rows, bytes: bytesOf(main) + (capped === null ? 0 : bytesOf(capped.data)), epoch: current.epoch, buildMs: current.ms, builds };
    },
    close() {
      closed = true;
      serving = null;
    },
  };
}

function bytesOf(data: IndexData): number {
  let bytes = 0;
  const add = (a: ArrayBufferView | undefined): void => {
    bytes += a?.byteLength ?? 0;
  };
  [data.alive, data.ids, data.donorStarts, data.rootStarts, data.collection, data.quantity, data.collectedStart, data.collectedEnd].forEach(add);
  if (isSliced(data.age)) data.age.slices.forEach(add);
  else add(data.age);
  Object.values(data.valueBits).forEach((list) => list.forEach(add));
  data.useBits.forEach(add);
  // collection_id's column is data.collection, counted above.
  Object.entries(data.dimensions).forEach(([d, codes]) => add(d === 'collection_id' ? undefined : codes));
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
