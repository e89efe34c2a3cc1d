/**
 * Worker-thread entry: parses the CSV file named in `workerData` into
 * encoded batches and posts them to the importer, at most a few ahead of what
 * it has consumed (so a slow import never piles the file up in memory).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BiospecError } from '@biospec/protocol/core';
import { readCsvBatches } from './csv-batches.js';
import type { WorkerReply, WorkerRequest } from './csv-worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('csv-worker must run in a worker thread');
const { path, mapping, window } = workerData as WorkerRequest;

let credit = window;
let wake: (() => void) | undefined;
port.on('message', (message: { credit: number }) => {
  credit += message.credit;
  wake?.();
  wake = undefined;
});
const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer);

try {
  let bytes = 0;
  let total = 0;
  const onBytes = (read: number, size: number): void => {
    bytes = read;
    total = size;
  };
  for await (const batch of readCsvBatches(path, { mapping, onBytes })) {
    while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
    credit--;
    post({ type: 'batch', batch, bytes, total }, [batch.ints.buffer as ArrayBuffer, batch.quantity.buffer as ArrayBuffer]);
  }
  post({ type: 'done' });
} catch (error) {
  const failure = BiospecError.from(error);
  post({ type: 'error', code: failure.code, message: failure.message, issues: [...failure.issues] });
}
port.close();
