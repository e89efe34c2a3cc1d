import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { BiospecError, formatIssue, readJsonFile } from '@biospec/protocol';
import { createKeyRing, type KeyRing } from '@biospec/trust';

/** How often the pinned-keys file is looked at, at most. */
const CHECK_EVERY_MS = 1000;

/** A public JWK as a JWKS file holds it. */
type PublicJwk = Parameters<typeof createKeyRing>[0][number];

/**
 * Reads a coordinator's public keys (a JWKS file, as `biospec coordinator init` writes
 * `coordinator.jwks.json`) and checks each is an Ed25519 public key with a kid.
 * @throws BiospecError `INVALID_CONFIG` in one line naming the file and the first problem.
 */
export async function readCoordinatorKeys(file: string, issuers: readonly string[] = []): Promise<{ keys: PublicJwk[]; ring: KeyRing }> {
  if (!fs.existsSync(file)) {
    throw new BiospecError('NOT_FOUND', `coordinator keys ${file} do not exist; they come from the coordinator's staff (the coordinator.jwks.json that \`biospec coordinator init\` wrote)`);
  }
  const doc = readJsonFile(file, 'coordinator keys') as { keys?: unknown } | null;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.keys)) {
    throw new BiospecError('INVALID_CONFIG', `coordinator keys ${file} is not a JWKS: expected {"keys": [...]}`);
  }
  const keys = doc.keys as PublicJwk[];
  try {
    return { keys, ring: await createKeyRing(keys, { issuers }) };
  } catch (error) {
    const err = BiospecError.from(error);
    const first = err.issues[0];
    const hint = first?.message.startsWith('private key material') ? " (give the coordinator's public keys, its coordinator.jwks.json, never its private key)" : '';
    throw new BiospecError('INVALID_CONFIG', `coordinator keys ${file}: ${first ? formatIssue(first) : err.message}${hint}`, { cause: error });
  }
}

async function readRing(file: string, issuers: readonly string[]): Promise<KeyRing> {
  const doc = readJsonFile(file, 'coordinator keys') as { keys?: unknown };
  if (!doc || !Array.isArray(doc.keys)) throw new BiospecError('INVALID_CONFIG', `coordinator keys ${file} is not a JWKS ({"keys": [...]})`);
  return createKeyRing(doc.keys as PublicJwk[], { issuers });
}

/** What a node says when it pins no coordinator key, so that nobody wonders why it refuses everything. */
export function noPinnedKeyWarning(file: string, dir: string): string {
  return `no coordinator key is pinned in ${file}: the node refuses every query until one is; pin the coordinator's keys with \`biospec node trust-coordinator coordinator.jwks.json --dir ${dir}\``;
}

/**
 * The coordinator keys a node pins, re-read when their file changes, so an
 * operator rotates keys by editing `coordinator.jwks.json` (add the new key,
 * later remove the old one), or pins them with `biospec node trust-coordinator`,
 * without restarting the node. A file that fails to load keeps the previous keys
 * in force and is logged; so is a ring without any key. The ring accepts tokens only from
 * `issuers` (the node's `coordinatorIds`).
 */
export async function loadPinnedKeys(file: string, issuers: readonly string[], logger: Logger): Promise<() => Promise<KeyRing>> {
  let ring = await readRing(file, issuers);
  if (ring.kids().length === 0) logger.warn({ file }, noPinnedKeyWarning(file, path.dirname(file)));
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
      if (ring.kids().length === 0) logger.warn({ file }, noPinnedKeyWarning(file, path.dirname(file)));
    } catch (err) {
      logger.error({ err, file }, 'pinned coordinator keys not reloaded; the previous keys stay in force');
    }
    return ring;
  };
}

/**
 * Pins the coordinator keys of `source` (a JWKS) in the node's pinned-keys file `target`:
 * keys with a new kid are added, those already pinned stay (a rotation adds the new key
 * first), unless `replace`. The file is replaced in one rename, so a running node, which
 * re-reads it within a second, never sees half of it.
 * @returns the kids added and all kids now pinned.
 */
export async function pinCoordinatorKeys(target: string, source: string, options: { replace?: boolean } = {}): Promise<{ added: string[]; pinned: string[] }> {
  const incoming = (await readCoordinatorKeys(source)).keys;
  if (incoming.length === 0) throw new BiospecError('INVALID_CONFIG', `coordinator keys ${source} hold no key`);
  const current = options.replace || !fs.existsSync(target) ? [] : (await readCoordinatorKeys(target)).keys;
  const known = new Set(current.map((k) => k.kid));
  const added = incoming.filter((k) => !known.has(k.kid));
  const keys = [...current, ...added];
  await createKeyRing(keys);
  const temporary = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify({ keys }, null, 2) + '\n');
  fs.renameSync(temporary, target);
  return { added: added.map((k) => k.kid as string), pinned: keys.map((k) => k.kid as string) };
}
