import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reachedImports, runtimeImports } from '@biospec/protocol/testing';

const SRC = path.dirname(fileURLToPath(import.meta.url));

describe('the browser entry', () => {
  test('reaches no Node built-in and no other package at run time', () => {
    const { files, outside } = reachedImports([path.join(SRC, 'browser.ts')], SRC);
    expect(files).toBeGreaterThan(5);
    expect(outside).toEqual([]);
  });

  test('a module that imports node:crypto is seen', () => {
    expect(runtimeImports(path.join(SRC, 'query-hash.ts'))).toContain('node:crypto');
    expect(runtimeImports(path.join(SRC, 'limits.ts'))).not.toContain('@biospec/protocol');
  });
});
