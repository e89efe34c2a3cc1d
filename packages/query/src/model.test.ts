import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.dirname(fileURLToPath(import.meta.url));

/** Specifiers of the imports and re-exports of a source file that survive compilation (not `import type`). */
function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?\sfrom\s+'([^']+)';/gms)) {
    if (match[2] === undefined) specifiers.push(match[3] as string);
  }
  return specifiers;
}

// Worker threads load @biospec/query/model to start quickly: zod (the query schema) and the
// protocol package root (grpc-js) would cost each of them CPU they have no use for.
test('the model entry reaches no package but @biospec/protocol/core at run time', () => {
  const seen = new Set<string>();
  const outside: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
      else if (!specifier.startsWith('node:') && specifier !== '@biospec/protocol/core') outside.push(`${path.relative(SRC, file)} imports ${specifier}`);
    }
  };
  visit(path.join(SRC, 'model.ts'));
  expect(seen.size).toBeGreaterThan(10);
  expect(outside).toEqual([]);
  expect(runtimeImports(path.join(SRC, 'schema.ts'))).toContain('zod');
});
