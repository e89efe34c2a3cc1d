/**
 * The run-time import graph of a package's TypeScript sources, for tests that keep an entry point
 * light (a worker thread's, the CLI's start, the browser bundle's): which package specifiers the
 * modules reached from an entry import once compiled.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Specifiers of the imports and re-exports of a source file that survive compilation (not `import type`). */
export function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?\sfrom\s+'([^']+)';/gms)) {
    if (match[2] === undefined) specifiers.push(match[3] as string);
  }
  return specifiers;
}

/**
 * Follows the relative imports from `entries` (source files); returns the files reached and every
 * non-relative import, as "file imports specifier" with the file relative to `root`.
 */
export function reachedImports(entries: readonly string[], root: string): { files: number; outside: { file: string; specifier: string }[] } {
  const seen = new Set<string>();
  const outside: { file: string; specifier: string }[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
      else outside.push({ file: path.relative(root, file), specifier });
    }
  };
  for (const entry of entries) visit(entry);
  return { files: seen.size, outside };
}
