/**
 * Worker-thread entry: answers counts by the compiled SQL on a read-only
 * connection of its own, one at a time, so a fallback count never holds the
 * node's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { BiospecError } from '@biospec/protocol/core';
import { createSqlCount } from './sql-count.js';
import type { SqlReply, SqlRequest, SqlWorkerData } from './sql-worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('sql-worker must run in a worker thread');
const { path, caps } = workerData as SqlWorkerData;
const db = new Database(path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('mmap_size = 0');
db.pragma('cache_size = -65536');
const sql = createSqlCount(db, caps ?? undefined);

port.on('message', (request: SqlRequest) => {
  let reply: SqlReply;
  try {
    reply =
      request.type === 'count'
        ? { id: request.id, type: 'count', result: sql.count(request.query) }
        : request.type === 'list'
          ? { id: request.id, type: 'list', result: sql.list(request.where ?? undefined, request.collections, request.limit) }
          : { id: request.id, type: 'summary', result: sql.summary() };
  } catch (error) {
    const failure = BiospecError.from(error);
    reply = { id: request.id, type: 'error', code: failure.code, message: failure.message };
  }
  port.postMessage(reply);
});
