/**
 * Parses a CSV file on a worker thread while the importer writes: on two
 * cores the import then costs the slower of parsing and writing, not their
 * sum. Small files, and runs where the package was never compiled, parse in
 * this thread with the same code.
 */
import { Worker } from 'node:worker_threads';
import { BiospecError } from '@biospec/protocol/core';
import { csvFileSize, readCsvBatches, type BatchReadOptions } from './csv-batches.js';
import type { WorkerReply, WorkerRequest } from './csv-worker-protocol.js';
import type { EncodedBatch } from './encoded-batch.js';
import { compiledWorker } from './worker-script.js';

/** Batches in flight between the threads; bounds the memory a fast parser can fill. */
const WINDOW = 8;
/** Below this size starting a worker costs more than it saves. */
export const WORKER_MIN_BYTES = 4 * 1024 * 1024;


/** The file's batches, parsed on a worker thread when one can be started. */
export async function* parseCsv(path: string, options: BatchReadOptions = {}): AsyncGenerator<EncodedBatch> {
  const script = compiledWorker('csv-worker.js', import.meta.url);
  if (script === undefined || csvFileSize(path) < WORKER_MIN_BYTES) {
    yield* readCsvBatches(path, options);
    return;
  }
  const request: WorkerRequest = { path, mapping: options.mapping, window: WINDOW };
  const worker = new Worker(script, { workerData: request });
  const queue: WorkerReply[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (reply: WorkerReply) => {
    queue.push(reply);
    signal();
  });
  worker.on('error', (error) => {
    failure = error;
    signal();
  });
  worker.on('exit', () => {
    failure ??= new Error('CSV worker exited early');
    signal();
  });
  try {
    for (;;) {
      const reply = queue.shift();
      if (reply === undefined) {
        if (failure !== undefined) {
          throw new BiospecError('INTERNAL', `CSV parsing of ${path} failed: ${failure.message}`, { cause: failure });
        }
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (reply.type === 'done') return;
      if (reply.type === 'error') throw new BiospecError(reply.code, reply.message, { issues: reply.issues });
      options.onBytes?.(reply.bytes, reply.total);
      worker.postMessage({ credit: 1 });
      yield reply.batch;
    }
  } finally {
    worker.removeAllListeners('exit');
    // Ending the worker early (the reader stopped) is all that is wanted; how it exits does not matter.
    worker.terminate().catch(() => undefined);
  }
}
