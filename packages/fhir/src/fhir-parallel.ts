/**
 * Reads a FHIR export on worker threads while the importer writes: on two
 * cores the import then costs about the slower of reading and writing, not
 * their sum (as the CSV path does). The first reader reads the first pass and
 * hands the donor lookup to the others; the Specimens of the second pass are
 * read in chunks, taken in turn by the readers, and put back in file order
 * here, so the rows, warnings and statistics are those of one reader. Falls
 * back to reading in this thread for small exports and where the compiled
 * worker is not there (running from TypeScript sources, as the tests do,
 * unless they ask for readers).
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { BiospecError } from '@biospec/protocol';
import {
  ABSENT,
  createRowBatchDecoders,
  dropRows,
  ROW_BATCHES,
  ROW_SLOT,
  ROW_SLOTS,
  type RowBatchSource,
  type SourceRow,
  type SourceRowBatch,
} from '@biospec/query';
import type { FhirWorkerReply, FhirWorkerRequest } from './fhir-worker-protocol.js';
import { countWarning, emptyStats, type FhirImportStats } from './import-stats.js';
import { createFhirReaderInThread, type FhirReader, type FhirReaderOptions } from './read-fhir.js';

/** Row batches in flight from each reader; bounds the memory a fast reader can fill. */
const WINDOW = 6;
/** Below this size starting workers costs more than it saves. */
const WORKER_MIN_BYTES = 4 * 1024 * 1024;
/** Rows per batch a reader posts. */
const BATCH_ROWS = 1024;
/** Specimens per chunk of the second pass: a few batches, so the readers stay within their windows while taking turns. */
const CHUNK_SPECIMENS = 2048;
/** Readers by default: two, or one on a machine of one core. */
const DEFAULT_READERS = Math.min(2, availableParallelism());

/** The compiled worker next to this module, or (running from sources, when asked) in the package's dist/. */
function workerScript(fromSources: boolean): string | undefined {
  const candidates = [new URL('./fhir-worker.js', import.meta.url), ...(fromSources ? [new URL('../dist/fhir-worker.js', import.meta.url)] : [])];
  for (const url of candidates) if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return fileURLToPath(url);
  return undefined;
}

function totalSize(files: readonly string[]): number {
  let total = 0;
  for (const file of files) {
    try {
      total += statSync(file).size;
    } catch {
      return 0;
    }
  }
  return total;
}

/** One reader's messages as they arrive, and how it failed if it did. */
interface ReaderQueue {
  worker: Worker;
  replies: FhirWorkerReply[];
  failure: Error | undefined;
}

/**
 * Reads one FHIR export (see {@link createFhirReaderInThread} for what is
 * read and how), on worker threads when they can be started.
 */
export function createFhirReader(paths: string | readonly string[], options: FhirReaderOptions = {}): FhirReader {
  const files = typeof paths === 'string' ? [paths] : [...paths];
  const asked = options.readers;
  const script = asked === 0 ? undefined : workerScript(asked !== undefined);
  if (script === undefined || (asked === undefined && totalSize(files) < WORKER_MIN_BYTES)) return createFhirReaderInThread(files, options);
  const readers = Math.max(1, asked ?? DEFAULT_READERS);
  const chunkSpecimens = options.chunkSpecimens ?? CHUNK_SPECIMENS;
  let stats: FhirImportStats = emptyStats();

  async function* rowBatches(): AsyncGenerator<SourceRowBatch> {
    // Reader 0 talks to each other reader over a channel of their own.
    const channels = Array.from({ length: readers - 1 }, () => new MessageChannel());
    const queues: ReaderQueue[] = [];
    let wake: (() => void) | undefined;
    const signal = (): void => {
      wake?.();
      wake = undefined;
    };
    for (let reader = 0; reader < readers; reader++) {
      const peers: MessagePort[] = reader === 0 ? channels.map((c) => c.port1) : [(channels[reader - 1] as MessageChannel).port2];
      const request: FhirWorkerRequest = {
        files,
        defaultCollection: options.defaultCollection,
        consentTable: options.consentTable,
        today: options.today,
        window: WINDOW,
        reader,
        readers,
        chunkSpecimens,
        batchRows: BATCH_ROWS,
        peers,
      };
      const worker = new Worker(script as string, { workerData: request, transferList: peers });
      const queue: ReaderQueue = { worker, replies: [], failure: undefined };
      worker.on('message', (reply: FhirWorkerReply) => {
        queue.replies.push(reply);
        signal();
      });
      worker.on('error', (error) => {
        queue.failure = error;
        signal();
      });
      worker.on('exit', () => {
        queue.failure ??= new Error('FHIR reader exited early');
        signal();
      });
      queues.push(queue);
    }
    const warningStats = emptyStats();
    let progress = 0;
    /** A reader's warnings and progress, in file order (each message as the merge reaches it). */
    const deliver = (reply: FhirWorkerReply): void => {
      for (const warning of reply.warnings) {
        countWarning(warningStats, warning);
        options.onWarning?.(warning);
      }
      // Readers read ahead of their chunk's end; progress only moves forward.
      if ((reply.type === 'rows' || reply.type === 'chunkEnd' || reply.type === 'error') && reply.bytes > progress) {
        progress = reply.bytes;
        options.onBytes?.(reply.bytes, reply.total);
      }
    };
    /** The next message of reader `r`; at the end (`anyFailure`) a failure of any reader is reported too, as reader 0 then waits for them all. */
    const next = async (r: number, anyFailure = false): Promise<FhirWorkerReply> => {
      const queue = queues[r] as ReaderQueue;
      for (;;) {
        const reply = queue.replies.shift();
        if (reply !== undefined) {
          deliver(reply);
          if (reply.type === 'error') throw new BiospecError(reply.code, reply.message, { issues: reply.issues });
          return reply;
        }
        const failed = queue.failure ?? (anyFailure ? queues.find((q) => q.failure !== undefined && q.replies.length === 0)?.failure : undefined);
        if (failed !== undefined) throw new BiospecError('INTERNAL', `reading the FHIR export failed: ${failed.message}`, { cause: failed });
        await new Promise<void>((resolve) => (wake = resolve));
      }
    };

    /** A reader's rows, as the importer takes them (its credit back to the reader). */
    const taken = (r: number, reply: Extract<FhirWorkerReply, { type: 'rows' }>): SourceRowBatch => {
      (queues[r] as ReaderQueue).worker.postMessage({ credit: 1 });
      return reply.batch;
    };
    stats = emptyStats();
    try {
      // The first pass and its donor updates.
      let reply = await next(0);
      while (reply.type === 'rows') {
        yield taken(0, reply);
        reply = await next(0);
      }
      if (reply.type !== 'specimens') throw new BiospecError('INTERNAL', `the FHIR reader sent '${reply.type}' before the second pass`);
      const specimens = { mapped: 0, withIssues: 0, enteredInError: 0 };
      // A donor only Specimens name gets one update row, before its first Specimen: each reader
      // words one in each of its chunks where the donor first comes; only the first in file order stays.
      const specimenOnly = new Set<string>();
      for (let chunk = 0; chunk < reply.chunks; chunk++) {
        const r = chunk % readers;
        for (;;) {
          const message = await next(r);
          if (message.type === 'chunkEnd') {
            if (message.chunk !== chunk) throw new BiospecError('INTERNAL', `FHIR reader ${r} ended chunk ${message.chunk} where ${chunk} was due`);
            specimens.mapped += message.counts.mapped;
            specimens.withIssues += message.counts.withIssues;
            specimens.enteredInError += message.counts.enteredInError;
            break;
          }
          if (message.type !== 'rows') throw new BiospecError('INTERNAL', `FHIR reader ${r} sent '${message.type}' inside chunk ${chunk}`);
          const batch = taken(r, message);
          const repeated = new Set<number>();
          let other = 0;
          for (let i = 0; i < batch.size; i++) {
            if (batch.ints[i * ROW_SLOTS + ROW_SLOT.collection_id] !== ABSENT) continue;
            const row = batch.others[other++] as SourceRow;
            if (row.donor === undefined) continue;
            if (specimenOnly.has(row.donor.donor_id)) repeated.add(i);
            else specimenOnly.add(row.donor.donor_id);
          }
          yield dropRows(batch, repeated);
        }
      }
      // The rows the end decides, then the statistics.
      for (;;) {
        const message = await next(0, true);
        if (message.type === 'rows') {
          yield taken(0, message);
          continue;
        }
        if (message.type !== 'done') throw new BiospecError('INTERNAL', `the FHIR reader sent '${message.type}' at the end`);
        stats = { ...message.stats, warnings: warningStats.warnings, specimens, donors: { updated: reply.donorUpdates + specimenOnly.size } };
        return;
      }
    } finally {
      for (const queue of queues) {
        queue.worker.removeAllListeners('exit');
        // Ending the worker early (the reader stopped) is all that is wanted; how it exits does not matter.
        queue.worker.terminate().catch(() => undefined);
      }
    }
  }

  const reader: FhirReader = {
    rows(): RowBatchSource {
      return {
        [Symbol.asyncIterator]: async function* () {
          for await (const batch of reader.batches()) yield* batch;
        },
        [ROW_BATCHES]: rowBatches,
      };
    },
    async *batches(): AsyncGenerator<SourceRow[]> {
      const decoderOf = createRowBatchDecoders();
      for await (const batch of rowBatches()) yield decoderOf(batch).rows(batch);
    },
    stats: () => structuredClone(stats),
  };
  return reader;
}

/** The simple form: the rows of {@link createFhirReader}. */
export function readFhir(paths: string | readonly string[], options: FhirReaderOptions = {}): AsyncIterable<SourceRow> {
  return createFhirReader(paths, options).rows();
}
