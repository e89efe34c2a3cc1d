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

describe('the browser entry', () => {
  test('reaches no Node built-in and no other package at run time', () => {
    const seen = new Set<string>();
    const outside: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of runtimeImports(file)) {
        if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
        else outside.push(`${path.relative(SRC, file)} imports ${specifier}`);
      }
    };
    visit(path.join(SRC, 'browser.ts'));
    expect(seen.size).toBeGreaterThan(5);
    expect(outside).toEqual([]);
  });

  test('a module that imports node:crypto is seen', () => {
    expect(runtimeImports(path.join(SRC, 'query-hash.ts'))).toContain('node:crypto');
    expect(runtimeImports(path.join(SRC, 'limits.ts'))).not.toContain('@biospec/protocol');
  });
});
