/** Runs a CSV import on a worker thread (import-worker.ts) and relays its progress. */
import { Worker } from 'node:worker_threads';
import { BiospecError } from '@biospec/protocol';
import type { CsvOptions } from './csv-source.js';
import type { ImportOptions, ImportReport } from './import.js';
import type { ImportWorkerReply, ImportWorkerRequest } from './import-worker-protocol.js';
import { compiledWorker } from './worker-script.js';

/** The compiled import worker, or undefined where the package was never compiled (then the import runs in this thread). */
export function importWorkerScript(): string | undefined {
  return compiledWorker('import-worker.js', import.meta.url);
}

export function runImportWorker(script: string, cataloguePath: string, csvPath: string, options: CsvOptions & ImportOptions): Promise<ImportReport> {
  const request: ImportWorkerRequest = {
    cataloguePath,
    csvPath,
    mapping: options.mapping,
    removeMissing: options.removeMissing === true,
    actor: options.actor,
    source: options.source ?? csvPath,
  };
  return new Promise<ImportReport>((resolve, reject) => {
    const worker = new Worker(script, { workerData: request });
    let settled = false;
    worker.on('message', (reply: ImportWorkerReply) => {
      if (reply.type === 'rows') options.onProgress?.(reply.read);
      else if (reply.type === 'bytes') options.onBytes?.(reply.read, reply.total);
      else if (reply.type === 'storage-fault') options.onStorageFault?.(reply.fault);
      else {
        settled = true;
        if (reply.type === 'done') resolve(reply.report);
        else reject(new BiospecError(reply.code, reply.message, { issues: reply.issues }));
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(new BiospecError('INTERNAL', `import of ${csvPath} failed: ${error.message}`, { cause: error }));
    });
    worker.on('exit', () => {
      if (!settled) reject(new BiospecError('INTERNAL', `import of ${csvPath} stopped before it finished`));
    });
  });
}
