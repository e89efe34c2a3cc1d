/**
 * Reads a FHIR export on a worker thread while the importer writes: on two
 * cores the import then costs the slower of reading and writing, not their
 * sum (as the CSV path does). Falls back to reading in this thread when the
 * compiled worker is not there (running from TypeScript sources, as the tests
 * do) and for small exports.
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BiospecError } from '@biospec/protocol';
import type { SourceRow } from '@biospec/query';
import type { FhirWorkerReply, FhirWorkerRequest } from './fhir-worker-protocol.js';
import { emptyStats, type FhirImportStats } from './import-stats.js';
import { createFhirReaderInThread, type FhirReader, type FhirReaderOptions } from './read-fhir.js';

/** Batches in flight between the threads; bounds the memory a fast reader can fill. */
const WINDOW = 4;
/** Below this size starting a worker costs more than it saves. */
const WORKER_MIN_BYTES = 4 * 1024 * 1024;

function workerScript(): string | undefined {
  const url = new URL('./fhir-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? fileURLToPath(url) : undefined;
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

/**
 * Reads one FHIR export (see {@link createFhirReaderInThread} for what is
 * read and how), on a worker thread when one can be started.
 */
export function createFhirReader(paths: string | readonly string[], options: FhirReaderOptions = {}): FhirReader {
  const files = typeof paths === 'string' ? [paths] : [...paths];
  const script = workerScript();
  if (script === undefined || totalSize(files) < WORKER_MIN_BYTES) return createFhirReaderInThread(files, options);
  let stats: FhirImportStats = emptyStats();
  const reader: FhirReader = {
    async *rows(): AsyncGenerator<SourceRow> {
      for await (const batch of reader.batches()) yield* batch;
    },
    async *batches(): AsyncGenerator<SourceRow[]> {
      stats = emptyStats();
      const request: FhirWorkerRequest = {
        files,
        defaultCollection: options.defaultCollection,
        consentTable: options.consentTable,
        today: options.today,
        window: WINDOW,
      };
      const worker = new Worker(script, { workerData: request });
      const queue: FhirWorkerReply[] = [];
      let failure: Error | undefined;
      let wake: (() => void) | undefined;
      const signal = (): void => {
        wake?.();
        wake = undefined;
      };
      worker.on('message', (reply: FhirWorkerReply) => {
        queue.push(reply);
        signal();
      });
      worker.on('error', (error) => {
        failure = error;
        signal();
      });
      worker.on('exit', () => {
        failure ??= new Error('FHIR worker exited early');
        signal();
      });
      try {
        for (;;) {
          const reply = queue.shift();
          if (reply === undefined) {
            if (failure !== undefined) throw new BiospecError('INTERNAL', `reading the FHIR export failed: ${failure.message}`, { cause: failure });
            await new Promise<void>((resolve) => (wake = resolve));
            continue;
          }
          if (reply.type === 'error') throw new BiospecError(reply.code, reply.message, { issues: reply.issues });
          for (const warning of reply.warnings) options.onWarning?.(warning);
          if (reply.type === 'done') {
            stats = reply.stats;
            return;
          }
          options.onBytes?.(reply.bytes, reply.total);
          worker.postMessage({ credit: 1 });
          yield reply.rows;
        }
      } finally {
        worker.removeAllListeners('exit');
        // Ending the worker early (the reader stopped) is all that is wanted; how it exits does not matter.
        worker.terminate().catch(() => undefined);
      }
    },
    stats: () => structuredClone(stats),
  };
  return reader;
}

/** The simple form: the rows of {@link createFhirReader}. */
export function readFhir(paths: string | readonly string[], options: FhirReaderOptions = {}): AsyncIterable<SourceRow> {
  return createFhirReader(paths, options).rows();
}
