/**
 * Keeps an {@link IndexData} in step with the catalogue file. Every count
 * reads the data epoch (one indexed row); when it moved, the catalogue's
 * event log says why: withdrawals are applied to the index at once (their
 * donors' rows stop counting), anything else (an import) needs a rebuild.
 * Changes from other processes are seen the same way.
 */
import Database from 'better-sqlite3';
import type { Query } from '@biospec/query';
import type { TrueCount } from '../true-count.js';
import { createBitmapCache, type BitmapCache } from './bitmap-cache.js';
import { buildIndex } from './build.js';
import { countWithIndex, createScratch, type Scratch } from './count.js';
import type { IndexData } from './index-data.js';
import { answersFromProfiles } from './profile-count.js';
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
  count(query: Query): TrueCount | undefined;
  /** Whether the current index answers `query` from its profile tables (else from its rows); undefined when not current. */
  answersFromProfiles(query: Query): boolean | undefined;
  /** Starts a build now (background mode), e.g. after an import. */
  refresh(): void;
  /** Resolves when no build is running. */
  idle(): Promise<void>;
  /** Rows and bytes of the built index, or null when none is built. */
  stats(): { rows: number; bytes: number; epoch: number; buildMs: number; builds: number } | null;
  /** Where the index stands, without starting anything. */
  status(): CountIndexStatus;
  close(): void;
}

/** The count index's state, as a node's readiness and metrics read it. */
export interface CountIndexStatus {
  /**
   * `ready`: the index answers at the catalogue's epoch; `warming`: it is being built (counts
   * use SQL meanwhile); `failed`: its last build failed (`cause`); `off`: no index is kept.
   */
  state: 'ready' | 'warming' | 'failed' | 'off';
  /** The catalogue's data epoch. */
  dataEpoch: number;
  /** The built index (perhaps of an older epoch), or null. */
  serving: { epoch: number; rows: number; ms: number; from: 'build' } | null;
  cause?: string;
}

export interface CountIndexOptions {
  /** The catalogue file (builds open it read-only). */
  path: string;
  /** The catalogue's own connection, for the epoch, the event log and withdrawn rows. */
  db: Database.Database;
  mode: CountIndexMode;
  /** Rows per background slice. */
  sliceRows?: number;
}

/** About 20-40 ms of work per event-loop turn. */
const BACKGROUND_SLICE_ROWS = 16384;

interface Built {
  data: IndexData;
  cache: BitmapCache;
  scratch: Scratch;
  buildMs: number;
}

export function createCountIndex(options: CountIndexOptions): CountIndex {
  const { path, db, mode } = options;
  const readEpoch = db.prepare("SELECT value FROM meta WHERE key = 'epoch'").pluck();
  const changesSince = db.prepare('SELECT kind, donor_id, epoch FROM catalogue_events WHERE epoch > ? AND epoch <= ? ORDER BY id');
  const rowsOfDonor = db.prepare('SELECT id FROM specimen WHERE donor_id = ?').pluck();
  let built: Built | null = null;
  let building: { cancel: () => void; done: Promise<void> } | null = null;
  let closed = false;
  let builds = 0;
  let failure: string | undefined;

  const openReader = (): Database.Database => {
    const reader = new Database(path, { readonly: true, fileMustExist: true });
    reader.pragma('busy_timeout = 5000');
    // Keep the file's pages out of this process's memory: the index is all it needs.
    reader.pragma('mmap_size = 0');
    reader.pragma('cache_size = -8192');
    return reader;
  };
  const adopt = (data: IndexData, buildMs: number): void => {
    built = { data, cache: createBitmapCache(), scratch: createScratch(data), buildMs };
    builds++;
    failure = undefined;
  };

  const buildInline = (): void => {
    const started = performance.now();
    const reader = openReader();
    try {
      const steps = buildIndex(reader);
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
    const reader = openReader();
    const steps = buildIndex(reader, options.sliceRows ?? BACKGROUND_SLICE_ROWS);
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
      } catch (error) {
        // A failed build leaves counts on SQL; the next stale count tries again.
        failure = (error as Error).message;
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
    return db.transaction(() => {
      const events = changesSince.all(current.data.epoch, epoch) as { kind: string; donor_id: string | null; epoch: number }[];
      const last = events[events.length - 1];
      if (last === undefined || last.epoch !== epoch) return false;
      if (events.some((e) => e.kind !== 'withdrawal' || e.donor_id === null)) return false;
      for (const event of events) withdrawRows(current.data, rowsOfDonor.all(event.donor_id) as number[]);
      current.data.epoch = epoch;
      return true;
    })();
  };

  const current = (): Built | null => {
    if (mode === 'off' || closed) return null;
    const epoch = readEpoch.get() as number;
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
      return countWithIndex(query, ready.data, ready.cache, ready.scratch);
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
    status() {
      // Applies withdrawals, and starts the rebuild a change by another process needs, as a count would.
      if (mode === 'background') current();
      const dataEpoch = readEpoch.get() as number;
      const serving = built === null ? null : { epoch: built.data.epoch, rows: built.data.rows, ms: built.buildMs, from: 'build' as const };
      if (mode === 'off') return { state: 'off', dataEpoch, serving: null };
      if (building === null && failure !== undefined) return { state: 'failed', dataEpoch, serving, cause: failure };
      return { state: building === null && serving?.epoch === dataEpoch ? 'ready' : 'warming', dataEpoch, serving };
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
  if (data.sharedRoots !== null) {
    add(data.sharedRoots.rows);
    data.sharedRoots.ranges.forEach(add);
  }
  return bytes;
}
