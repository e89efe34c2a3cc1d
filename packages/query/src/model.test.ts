import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reachedImports, runtimeImports } from '@biospec/protocol/testing';

const SRC = path.dirname(fileURLToPath(import.meta.url));

// Worker threads load @biospec/query/model to start quickly: zod (the query schema) and the
// protocol package root (grpc-js) would cost each of them CPU they have no use for.
test('the model entry reaches no package but @biospec/protocol/core at run time', () => {
  const { files, outside } = reachedImports([path.join(SRC, 'model.ts')], SRC);
  expect(files).toBeGreaterThan(10);
  expect(outside.filter((i) => !i.specifier.startsWith('node:') && i.specifier !== '@biospec/protocol/core')).toEqual([]);
  expect(runtimeImports(path.join(SRC, 'schema.ts'))).toContain('zod');
});
