/**
 * Worker-thread entry: one whole CSV import (parse, validate, write, commit)
 * on a writer connection of its own, so the SQLite work of an import (row
 * writes, index builds, root resolution, the commit and its WAL checkpoint)
 * never holds the event loop of the process serving counts. Large files are
 * parsed on a further worker (csv-parallel.ts), as before.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BiospecError } from '@biospec/protocol/core';
import { openWriter } from './connection.js';
import { csvSource } from './csv-source.js';
import { importRows } from './import.js';
import type { ImportWorkerReply, ImportWorkerRequest } from './import-worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('import-worker must run in a worker thread');
const request = workerData as ImportWorkerRequest;
const post = (reply: ImportWorkerReply): void => port.postMessage(reply);

let reply: ImportWorkerReply;
const writer = openWriter(request.cataloguePath);
try {
  const source = csvSource(request.csvPath, {
    ...(request.mapping === undefined ? {} : { mapping: request.mapping }),
    onBytes: (read, total) => post({ type: 'bytes', read, total }),
  });
  const report = await importRows(writer, source, {
    removeMissing: request.removeMissing,
    ...(request.actor === undefined ? {} : { actor: request.actor }),
    source: request.source,
    onProgress: (read) => post({ type: 'rows', read }),
    onStorageFault: (fault) => post({ type: 'storage-fault', fault }),
  });
  reply = { type: 'done', report };
} catch (error) {
  const failure = BiospecError.from(error);
  reply = { type: 'error', code: failure.code, message: failure.message, issues: [...failure.issues] };
} finally {
  // Closed before the caller hears of the end: once it has, this connection is gone (a close of the
  // catalogue's own connection is then the last one, and checkpoints the write-ahead log).
  writer.close();
}
post(reply);
port.close();
