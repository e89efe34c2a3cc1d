/**
 * Worker-thread entry: reads the persisted count index when it is valid, or
 * builds one from the catalogue's rows (one read transaction on a connection
 * of its own) and persists it, then hands it to the catalogue's thread with
 * its typed arrays transferred, not copied. Nothing of this runs on the
 * node's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buffersOf, buildIndex, readIndexSnapshot, writeIndexSnapshot, type BuiltIndex } from '@biospec/count-index';
import { openRowSnapshot, openSnapshotReader } from './index-source.js';
import type { IndexWorkerReply, IndexWorkerRequest } from './index-worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('index-worker must run in a worker thread');
const request = workerData as IndexWorkerRequest;

function load(): { reply: IndexWorkerReply; built?: BuiltIndex } {
  const started = performance.now();
  let fileProblem: string | undefined;
  if (request.tryFile) {
    const read = readIndexSnapshot(request.snapshotPath, request.key);
    if ('built' in read) return { reply: { type: 'loaded', built: read.built, ms: performance.now() - started, from: 'file' }, built: read.built };
    fileProblem = read.invalid;
  }
  const snapshot = openRowSnapshot(openSnapshotReader(request.path), true);
  let built: BuiltIndex;
  try {
    const steps = buildIndex(snapshot, request.caps === null ? {} : { caps: request.caps });
    let step = steps.next();
    while (!step.done) step = steps.next();
    built = step.value;
  } finally {
    snapshot.close();
  }
  let persistProblem: string | undefined;
  if (request.persist) {
    try {
      writeIndexSnapshot(request.snapshotPath, built, request.key);
    } catch (error) {
      persistProblem = (error as Error).message;
    }
  }
  const reply: IndexWorkerReply = { type: 'loaded', built, ms: performance.now() - started, from: 'build' };
  if (fileProblem !== undefined) reply.fileProblem = fileProblem;
  if (persistProblem !== undefined) reply.persistProblem = persistProblem;
  return { reply, built };
}

try {
  const { reply, built } = load();
  port.postMessage(reply, built === undefined ? [] : buffersOf(built));
} catch (error) {
  port.postMessage({ type: 'error', message: (error as Error).message } satisfies IndexWorkerReply);
}
port.close();
