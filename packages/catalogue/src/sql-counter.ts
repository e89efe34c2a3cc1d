/**
 * The catalogue's side of its SQL worker: one worker thread per catalogue,
 * started on first use, questions answered in order. Where the package was
 * never compiled (no worker script), counts run in this thread instead.
 */
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { BiospecError, type ErrorCode } from '@biospec/protocol';
import type { ContributionCaps, CountQuestion, Expr } from '@biospec/query';
import { createSqlCount } from './sql-count.js';
import type { ListedSpecimen, SqlReply, SqlRequest, SqlWorkerData } from './sql-worker-protocol.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
import type { CatalogueSummary } from './summary.js';
import type { TrueCount } from './true-count.js';
import { compiledWorker } from './worker-script.js';

export interface SqlCounter {
  count(query: CountQuestion): Promise<TrueCount & { epoch: number }>;
  summary(): Promise<CatalogueSummary>;
  list(where: Expr | undefined, collections: readonly string[], limit: number): Promise<{ epoch: number; specimens: ListedSpecimen[] }>;
  close(): void;
}

export function createSqlCounter(path: string, caps: ContributionCaps | undefined, db: Database.Database): SqlCounter {
  const script = compiledWorker('sql-worker.js', import.meta.url);
  if (script === undefined) {
    const local = createSqlCount(db, caps);
    return {
      count: async (query) => local.count(query),
      summary: async () => local.summary(),
      list: async (where, collections, limit) => local.list(where, collections, limit),
      close: () => undefined,
    };
  }
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve: (reply: SqlReply) => void; reject: (error: Error) => void }>();
  const failAll = (error: Error): void => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
    worker = undefined;
  };
  const start = (): Worker => {
    const data: SqlWorkerData = { path, caps: caps ?? null };
    const started = new Worker(script, { workerData: data });
    started.on('message', (reply: SqlReply) => {
      const waiting = pending.get(reply.id);
      pending.delete(reply.id);
      if (pending.size === 0) started.unref();
      waiting?.resolve(reply);
    });
    started.on('error', (error) => failAll(new BiospecError('INTERNAL', `SQL worker of ${path} failed: ${error.message}`, { cause: error })));
    started.on('exit', () => failAll(new BiospecError('INTERNAL', `SQL worker of ${path} stopped`)));
    return started;
  };
  const ask = (request: DistributiveOmit<SqlRequest, 'id'>): Promise<SqlReply> =>
    new Promise<SqlReply>((resolve, reject) => {
      worker ??= start();
      const id = nextId++;
      pending.set(id, { resolve, reject });
      // Kept alive only while a question waits: an idle worker never holds the process open.
      worker.ref();
      worker.postMessage({ ...request, id } as SqlRequest);
    });
  const unwrap = <T extends SqlReply['type']>(reply: SqlReply, type: T): Extract<SqlReply, { type: T }> => {
    if (reply.type === 'error') throw new BiospecError(reply.code as ErrorCode, reply.message);
    if (reply.type !== type) throw new BiospecError('INTERNAL', `SQL worker answered ${reply.type} to ${type}`);
    return reply as Extract<SqlReply, { type: T }>;
  };
  return {
    count: async (query) => unwrap(await ask({ type: 'count', query }), 'count').result,
    summary: async () => unwrap(await ask({ type: 'summary' }), 'summary').result,
    list: async (where, collections, limit) => unwrap(await ask({ type: 'list', where: where ?? null, collections: [...collections], limit }), 'list').result,
    close() {
      const running = worker;
      worker = undefined;
      if (running !== undefined) {
        running.removeAllListeners('exit');
        // Ending the worker is all that is wanted; how it exits does not matter.
        running.terminate().catch(() => undefined);
      }
      failAll(new BiospecError('UNAVAILABLE', `catalogue ${path} is closed`));
    },
  };
}
