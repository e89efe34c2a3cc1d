/**
 * Worker-thread entry: one of the readers of a FHIR export (fhir-parallel.ts).
 * Reader 0 reads the first pass and hands the donor lookup to the others; then
 * every reader maps its share of the Specimens (chunk c is reader c mod
 * readers'), and reader 0 adds the rows the end decides. Rows go to the
 * importer in columns, at most a few batches ahead of what it has taken (so a
 * slow import never piles the export up in memory).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { BiospecError } from '@biospec/protocol/core';
import { createRowBatchEncoder, rowBatchTransfers, type SourceRow } from '@biospec/query/model';
import { specimenLookup } from './donor-index.js';
import { createExportReading, createSpecimenMapper, specimenChunks, type SpecimenMapper } from './export-reading.js';
import type { FhirPeerMessage, FhirWorkerReply, FhirWorkerRequest, SpecimenCounts } from './fhir-worker-protocol.js';
import { emptyStats, type FhirImportStats, type FhirWarning } from './import-stats.js';
import { SpecimenPlaces } from './specimen-places.js';

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

let bytes = 0;
let total = 0;
const onBytes = (read: number, size: number): void => {
  bytes = read;
  total = size;
};
let warnings: FhirWarning[] = [];
const taken = (): FhirWarning[] => {
  const all = warnings;
  warnings = [];
  return all;
};
// Rows travel in columns: structured-cloning a row object per specimen cost the importing thread about as much as writing it.
const encoder = createRowBatchEncoder(request.reader);

async function send(rows: SourceRow[]): Promise<void> {
  keepHeapBounded();
  while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
  credit--;
  const batch = encoder.encode(rows);
  post({ type: 'rows', batch, warnings: taken(), bytes, total }, rowBatchTransfers(batch));
}

const counted = (stats: FhirImportStats): SpecimenCounts => ({ ...stats.specimens });
const minus = (a: SpecimenCounts, b: SpecimenCounts): SpecimenCounts => ({
  mapped: a.mapped - b.mapped,
  withIssues: a.withIssues - b.withIssues,
  enteredInError: a.enteredInError - b.enteredInError,
});

/** This reader's share of the chunks, each ended by its counts. */
async function mapChunks(mapper: SpecimenMapper, chunks: ReturnType<typeof specimenChunks>, stats: FhirImportStats): Promise<void> {
  for (let c = request.reader; c < chunks.length; c += request.readers) {
    const before = counted(stats);
    for await (const rows of mapper.chunk(chunks[c] as (typeof chunks)[number])) await send(rows);
    post({ type: 'chunkEnd', chunk: c, counts: minus(counted(stats), before), warnings: taken(), bytes, total });
  }
}

function nextPeerMessage(peer: MessagePort): Promise<FhirPeerMessage> {
  return new Promise((resolve) => peer.once('message', resolve));
}

async function firstReader(): Promise<void> {
  const reading = createExportReading(request.files, {
    onBytes,
    onWarning: (warning) => warnings.push(warning),
    ...(request.defaultCollection !== undefined ? { defaultCollection: request.defaultCollection } : {}),
    ...(request.consentTable !== undefined ? { consentTable: request.consentTable } : {}),
    ...(request.today !== undefined ? { today: request.today } : {}),
  });
  for await (const rows of reading.donorRows()) await send(rows);
  // What is live now is what the import keeps.
  ceiling = 0;
  const sources = reading.sources();
  const chunks = specimenChunks(sources.places, request.chunkSpecimens);
  const lookup: FhirPeerMessage = { type: 'lookup', data: reading.lookupData(), places: sources.places.map((p) => p.toData()), sizes: sources.sizes };
  for (const peer of request.peers) peer.postMessage(lookup);
  post({ type: 'specimens', chunks: chunks.length, donorUpdates: reading.stats.donors.updated, warnings: taken() });

  const mapper = createSpecimenMapper(sources, reading.lookup(), reading.stats, reading.warn, onBytes, request.batchRows);
  await mapChunks(mapper, chunks, reading.stats);
  // The end needs every reader's donors and counts.
  const donors = new Set(mapper.donorsWithSpecimens);
  let counts = counted(reading.stats);
  for (const peer of request.peers) {
    const message = await nextPeerMessage(peer);
    if (message.type !== 'donors') throw new BiospecError('INTERNAL', `a FHIR reader sent '${message.type}' where its donors were expected`);
    for (const donor of message.donors) donors.add(donor);
    counts = { mapped: counts.mapped + message.counts.mapped, withIssues: counts.withIssues + message.counts.withIssues, enteredInError: counts.enteredInError + message.counts.enteredInError };
  }
  const end = reading.endRows(donors, counts.mapped + counts.withIssues > 0);
  if (end.length > 0) await send(end);
  post({ type: 'done', warnings: taken(), stats: reading.stats });
}

async function otherReader(): Promise<void> {
  const leader = request.peers[0] as MessagePort;
  const message = await nextPeerMessage(leader);
  if (message.type !== 'lookup') throw new BiospecError('INTERNAL', `a FHIR reader sent '${message.type}' where the donor lookup was expected`);
  ceiling = 0;
  const stats = emptyStats();
  const sources = { files: request.files, places: message.places.map((data) => SpecimenPlaces.fromData(data)), sizes: message.sizes };
  const lookup = specimenLookup(message.data, request.defaultCollection ?? 'default');
  const mapper = createSpecimenMapper(sources, lookup, stats, (warning) => warnings.push(warning), onBytes, request.batchRows);
  await mapChunks(mapper, specimenChunks(sources.places, request.chunkSpecimens), stats);
  const reply: FhirPeerMessage = { type: 'donors', donors: [...mapper.donorsWithSpecimens], counts: counted(stats) };
  leader.postMessage(reply);
  post({ type: 'done', warnings: taken(), stats });
}

try {
  await (request.reader === 0 ? firstReader() : otherReader());
} catch (error) {
  const failure = BiospecError.from(error);
  post({ type: 'error', code: failure.code, message: failure.message, issues: [...failure.issues], warnings: taken(), bytes, total });
}
for (const peer of request.peers) peer.close();
port.close();
