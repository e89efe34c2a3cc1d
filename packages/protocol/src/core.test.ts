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

// Worker threads and the CLI load @biospec/protocol/core to start quickly: grpc-js and the
// generated wire code cost each of them about 0.1 s of CPU they have no use for.
test('the core entry reaches nothing but Node built-ins at run time', () => {
  const seen = new Set<string>();
  const outside: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
      else if (!specifier.startsWith('node:')) outside.push(`${path.relative(SRC, file)} imports ${specifier}`);
    }
  };
  visit(path.join(SRC, 'core.ts'));
  expect(seen.size).toBeGreaterThan(5);
  expect(outside).toEqual([]);
  expect(runtimeImports(path.join(SRC, 'grpc-errors.ts'))).toContain('@grpc/grpc-js');
});
