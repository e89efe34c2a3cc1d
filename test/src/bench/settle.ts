import { execFileSync } from 'node:child_process';

/**
 * Quiets this process and the machine before a timed section. A 10M import leaves about 1.7 GB of
 * the catalogue and its index snapshot in dirty pages that the kernel writes back for many seconds,
 * and closing an index or DuckDB leaves hundreds of MB for V8 to collect; left alone, both run during
 * the timed counts that follow (a node in service has neither). `npm run bench` starts with --expose-gc.
 */
export function settle(): void {
  execFileSync('sync');
  (globalThis as { gc?: () => void }).gc?.();
}
