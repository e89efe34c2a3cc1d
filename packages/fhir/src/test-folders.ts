/** Temporary folders for this package's tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];
// Under jest (whose afterAll is a global there), the folders a test file made go once its tests have run.
const afterAllTests = (globalThis as { afterAll?: (fn: () => void) => void }).afterAll;
afterAllTests?.(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder under the system's temporary folder, named `prefix` and a random suffix. */
export function testFolder(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
