/**
 * Worker-thread entry: reads the FHIR files named in `workerData` and posts
 * their rows to the importer in batches, at most a few ahead of what it has
 * consumed (so a slow import never piles the export up in memory).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { BiospecError } from '@biospec/protocol';
import { createRowBatchEncoder, rowBatchTransfers } from '@biospec/query';
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
const post = (reply: FhirWorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer);

/**
 * V8 lets a heap grow to several times what is live before it collects fully,
 * and in a long import that slack (garbage of specimens long written) made the
 * import's memory grow with the specimens. This worker owns its heap, so it
 * collects in full whenever the heap holds more than twice what the first pass
 * kept (the donor index) plus a margin: memory then follows the donors.
 */
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;
const MARGIN = 96 * 2 ** 20;
let ceiling = Infinity;
const keepHeapBounded = (): void => {
  if (v8.getHeapStatistics().used_heap_size <= ceiling) return;
  collect();
  ceiling = 2 * v8.getHeapStatistics().used_heap_size + MARGIN;
};

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
  let first = true;
  // Rows travel in columns: structured-cloning a row object per specimen cost the importing thread about as much as writing it.
  const encoder = createRowBatchEncoder();
  for await (const rows of reader.batches()) {
    // The first batch comes once the first pass is done: what is live then is what the import keeps.
    if (first) ceiling = 0;
    first = false;
    keepHeapBounded();
    while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
    credit--;
    const batch = encoder.encode(rows);
    post({ type: 'rows', batch, warnings, bytes, total }, rowBatchTransfers(batch));
    warnings = [];
  }
  post({ type: 'done', warnings, stats: reader.stats() });
} catch (error) {
  const failure = BiospecError.from(error);
  post({ type: 'error', code: failure.code, message: failure.message, issues: [...failure.issues] });
}
port.close();
