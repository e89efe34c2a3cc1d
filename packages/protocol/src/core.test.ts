import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reachedImports, runtimeImports } from './testing/import-graph.js';

const SRC = path.dirname(fileURLToPath(import.meta.url));

// Worker threads and the CLI load @biospec/protocol/core to start quickly: grpc-js and the
// generated wire code cost each of them about 0.1 s of CPU they have no use for.
test('the core entry reaches nothing but Node built-ins at run time', () => {
  const { files, outside } = reachedImports([path.join(SRC, 'core.ts')], SRC);
  expect(files).toBeGreaterThan(5);
  expect(outside.filter((i) => !i.specifier.startsWith('node:'))).toEqual([]);
  expect(runtimeImports(path.join(SRC, 'grpc-errors.ts'))).toContain('@grpc/grpc-js');
});
