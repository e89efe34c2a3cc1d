import fs from 'node:fs';
import type { Logger } from 'pino';
import { BiospecError, readJsonFile } from '@biospec/protocol';
import { createKeyRing, type KeyRing } from '@biospec/trust';

/** How often the pinned-keys file is looked at, at most. */
const CHECK_EVERY_MS = 1000;

async function readRing(file: string, issuers: readonly string[]): Promise<KeyRing> {
  const doc = readJsonFile(file, 'coordinator keys') as { keys?: unknown };
  if (!doc || !Array.isArray(doc.keys)) throw new BiospecError('INVALID_CONFIG', `coordinator keys ${file} is not a JWKS ({"keys": [...]})`);
  return createKeyRing(doc.keys as Parameters<typeof createKeyRing>[0], { issuers });
}

/**
 * The coordinator keys a node pins, re-read when their file changes, so an
 * operator rotates keys by editing `coordinator.jwks.json` (add the new key,
 * later remove the old one) without restarting the node. A file that fails to
 * load keeps the previous keys in force and is logged. The ring accepts tokens only from
 * `issuers` (the node's `coordinatorIds`).
 */
export async function loadPinnedKeys(file: string, issuers: readonly string[], logger: Logger): Promise<() => Promise<KeyRing>> {
  let ring = await readRing(file, issuers);
  let seen = fs.statSync(file).mtimeMs;
  let checkedAt = Date.now();
  return async () => {
    if (Date.now() - checkedAt < CHECK_EVERY_MS) return ring;
    checkedAt = Date.now();
    const mtime = fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
    if (mtime === undefined || mtime === seen) return ring;
    seen = mtime;
    try {
      ring = await readRing(file, issuers);
      logger.info({ file, kids: ring.kids() }, 'pinned coordinator keys reloaded');
    } catch (err) {
      logger.error({ err, file }, 'pinned coordinator keys not reloaded; the previous keys stay in force');
    }
    return ring;
  };
}
