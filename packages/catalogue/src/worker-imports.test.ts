import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reachedImports } from '@biospec/protocol/testing';

const SRC = path.dirname(fileURLToPath(import.meta.url));
const WORKERS = ['sql-worker.ts', 'import-worker.ts', 'csv-worker.ts', 'index-worker.ts'];

// Each worker thread pays for what it imports when it starts: the package roots of protocol
// (grpc-js, the wire code) and query (zod) cost about 0.25 s of CPU per thread, for nothing a
// worker uses. Its modules import the light entry points instead.
test('worker threads import @biospec/protocol/core and @biospec/query/model, never their package roots', () => {
  const { files, outside } = reachedImports(
    WORKERS.map((worker) => path.join(SRC, worker)),
    SRC,
  );
  expect(files).toBeGreaterThan(WORKERS.length);
  expect(outside.filter((i) => i.specifier === '@biospec/protocol' || i.specifier === '@biospec/query')).toEqual([]);
});
