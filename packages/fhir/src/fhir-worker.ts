/**
 * Worker-thread entry: reads the FHIR files named in `workerData` and posts
 * their rows to the importer in batches, at most a few ahead of what it has
 * consumed (so a slow import never piles the export up in memory).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BiospecError } from '@biospec/protocol';
import type { FhirWorkerReply, FhirWorkerRequest } from './fhir-worker-protocol.js';
import type { FhirWarning } from './import-stats.js';
import { createFhirReaderInThread } from './read-fhir.js';

const port = parentPort;
if (port === null) throw new Error('fhir-worker must run in a worker thread');
const request = workerData as FhirWorkerRequest;

let credit = request.window;
let wake: (() => void) | undefined;
port.on('message', (message: { credit: number }) => {
  credit += message.credit;
  wake?.();
  wake = undefined;
});
const post = (reply: FhirWorkerReply): void => port.postMessage(reply);

try {
  let bytes = 0;
  let total = 0;
  let warnings: FhirWarning[] = [];
  const reader = createFhirReaderInThread(request.files, {
    onBytes: (read, size) => {
      bytes = read;
      total = size;
    },
    onWarning: (warning) => warnings.push(warning),
    ...(request.defaultCollection !== undefined ? { defaultCollection: request.defaultCollection } : {}),
    ...(request.consentTable !== undefined ? { consentTable: request.consentTable } : {}),
    ...(request.today !== undefined ? { today: request.today } : {}),
  });
  for await (const rows of reader.batches()) {
    while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
    credit--;
    post({ type: 'rows', rows, warnings, bytes, total });
    warnings = [];
  }
  post({ type: 'done', warnings, stats: reader.stats() });
} catch (error) {
  const failure = BiospecError.from(error);
  post({ type: 'error', code: failure.code, message: failure.message, issues: [...failure.issues] });
}
port.close();
