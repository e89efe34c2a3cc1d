import fs from 'node:fs';

/**
 * Writes this process's pid to `file` while a service runs, so a restore can refuse to
 * write under it; the returned function removes it (only if it is still ours).
 */
export function holdPidFile(file: string): () => void {
  fs.writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  return () => {
    try {
      if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
    } catch {
      // Already gone.
    }
  };
}
