/**
 * Where a worker thread's compiled entry module is: next to the calling
 * module when it runs compiled (dist/), or in the package's dist/ when it runs
 * from its TypeScript sources (the tests, which `npm test` runs after
 * `tsc -b`), so the tests exercise the same worker code a node runs.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled `name` (e.g. `csv-worker.js`) for the module at `moduleUrl`, or undefined when not built. */
export function compiledWorker(name: string, moduleUrl: string): string | undefined {
  const candidates = [new URL(`./${name}`, moduleUrl)];
  if (/\/src\/[^/]+\.ts$/.test(moduleUrl)) candidates.push(new URL(`../dist/${name}`, moduleUrl));
  for (const url of candidates) {
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return fileURLToPath(url);
  }
  return undefined;
}
