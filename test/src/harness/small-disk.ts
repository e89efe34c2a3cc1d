import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SmallDisk {
  dir: string;
  /** Bytes still free for files on it. */
  free(): number;
  unmount(): void;
}

/**
 * A real size-limited filesystem (tmpfs with `size=`), so a test can fill the disk under a node
 * for real. Mounting needs root, which is how the test suite runs on the project's machines.
 */
export function mountSmallDisk(bytes: number): SmallDisk {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (cause) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot mount a ${bytes}-byte tmpfs at ${dir} (needs root): ${(cause as Error).message}`, { cause });
  }
  return {
    dir,
    free() {
      const stats = fs.statfsSync(dir);
      return stats.bavail * stats.bsize;
    },
    unmount() {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        // A file still open somewhere keeps the mount busy: detach it now, it goes when that file closes.
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
