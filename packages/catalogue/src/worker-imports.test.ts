import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.dirname(fileURLToPath(import.meta.url));
const WORKERS = ['sql-worker.ts', 'import-worker.ts', 'csv-worker.ts', 'index-worker.ts'];

/** Specifiers of the imports and re-exports of a source file that survive compilation (not `import type`). */
function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?\sfrom\s+'([^']+)';/gms)) {
    if (match[2] === undefined) specifiers.push(match[3] as string);
  }
  return specifiers;
}

// Each worker thread pays for what it imports when it starts: the package roots of protocol
// (grpc-js, the wire code) and query (zod) cost about 0.25 s of CPU per thread, for nothing a
// worker uses. Its modules import the light entry points instead.
test('worker threads import @biospec/protocol/core and @biospec/query/model, never their package roots', () => {
  const seen = new Set<string>();
  const roots: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
      else if (specifier === '@biospec/protocol' || specifier === '@biospec/query') roots.push(`${path.relative(SRC, file)} imports ${specifier}`);
    }
  };
  for (const worker of WORKERS) visit(path.join(SRC, worker));
  expect(seen.size).toBeGreaterThan(WORKERS.length);
  expect(roots).toEqual([]);
});
