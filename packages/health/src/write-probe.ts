import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { constants } from 'node:fs';

/**
 * A readiness check that the databases can take writes: each folder accepts a small
 * file written and synced (a full or read-only disk fails it), and each database file
 * that exists is writable by this process. Runs with the asynchronous file API, off the
 * event loop's critical path.
 */
export async function probeWritable(dirs: readonly string[], files: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const probe = path.join(dir, `.write-probe-${randomBytes(4).toString('hex')}`);
    try {
      const handle = await fs.open(probe, 'wx', 0o600);
      try {
        await handle.write(randomBytes(512));
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (reason) {
      return `${dir} does not take writes: ${(reason as NodeJS.ErrnoException).code ?? (reason as Error).message}`;
    } finally {
      await fs.rm(probe, { force: true });
    }
  }
  for (const file of files) {
    try {
      await fs.access(file, constants.W_OK);
    } catch (reason) {
      const code = (reason as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      return `${file} is not writable: ${code ?? (reason as Error).message}`;
    }
  }
  return undefined;
}
