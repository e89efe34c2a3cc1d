import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BiospecError, createPrivateFile, makePrivateDir } from '@biospec/protocol';
import { DEFAULT_POLICY, type DisclosurePolicy } from '@biospec/privacy';
import { generateSigningKey } from '@biospec/trust';
import { parseNodeConfig } from './config.js';
import { NODE_FILES } from './node-files.js';
import { readCoordinatorKeys } from './pinned-keys.js';

export interface InitNodeOptions {
  nodeId: string;
  name: string;
  /** Where to serve gRPC; without it the node listens on 127.0.0.1:50051, or on no port when `connectOut` is given. */
  listen?: string;
  /** host:port of the coordinator's connect listener: the node dials out (`connectOut.coordinator`). */
  connectOut?: string;
  /** JWKS file of the coordinator keys to pin; without it the node accepts no query until some are pinned (`pinCoordinatorKeys`). */
  coordinatorJwks?: string;
  /** The coordinator ids (`iss`) the node answers; default the coordinator's default id, `coordinator`. */
  coordinatorIds?: string[];
  policy?: DisclosurePolicy;
  /** Writes `holds.decisionsFromCoordinator: true`: stewards may list and decide held questions through the coordinator. */
  holdDecisionsFromCoordinator?: boolean;
}

export { NODE_FILES };

function writeSecret(file: string, data: string | Buffer): void {
  fs.writeFileSync(file, data, { mode: 0o600 });
}

/** Refuses a folder that holds a node or anything else; returns whether it exists (empty). */
function checkNewFolder(dir: string): boolean {
  const config = path.join(dir, NODE_FILES.config);
  if (fs.existsSync(config)) throw new BiospecError('ALREADY_EXISTS', `${config} already exists; refusing to overwrite a node`);
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) return false;
  if (!stat.isDirectory()) throw new BiospecError('ALREADY_EXISTS', `${dir} is a file; a node needs a folder of its own`);
  if (fs.readdirSync(dir).length > 0) throw new BiospecError('ALREADY_EXISTS', `${dir} is not empty; a node needs a folder of its own (a new or empty one)`);
  return true;
}

/**
 * Creates a node folder: an Ed25519 key pair, the noise secret, the pinned
 * coordinator keys and `node.json`. Everything is checked first (the config,
 * the coordinator keys, that the folder is new or empty), so bad input writes
 * nothing; a failure while writing removes what was written.
 */
export async function initNodeDir(dir: string, options: InitNodeOptions): Promise<{ config: string; publicKeys: string; pinnedKeys: number }> {
  const existed = checkNewFolder(dir);
  const body = {
    nodeId: options.nodeId,
    name: options.name,
    // A connect-out node listens only where told to: a hospital's node needs no inbound port.
    ...(options.listen !== undefined || options.connectOut === undefined ? { listen: options.listen ?? '127.0.0.1:50051' } : {}),
    ...(options.connectOut !== undefined ? { connectOut: { coordinator: options.connectOut } } : {}),
    coordinatorIds: options.coordinatorIds ?? ['coordinator'],
    policy: options.policy ?? DEFAULT_POLICY,
    ...(options.holdDecisionsFromCoordinator ? { holds: { decisionsFromCoordinator: true } } : {}),
  };
  parseNodeConfig(body, path.resolve(dir));
  const coordinatorKeys = options.coordinatorJwks ? (await readCoordinatorKeys(options.coordinatorJwks)).keys : [];

  const config = path.join(dir, NODE_FILES.config);
  try {
    // Only the node's user may enter: the catalogue, the state databases and the secrets live here.
    makePrivateDir(dir);
    if (existed) fs.chmodSync(dir, 0o700);
    makePrivateDir(path.join(dir, 'state'));
    createPrivateFile(path.join(dir, 'catalogue.db'));
    const { privateJwk, publicJwk } = await generateSigningKey();
    writeSecret(path.join(dir, NODE_FILES.signingKey), JSON.stringify(privateJwk, null, 2));
    fs.writeFileSync(path.join(dir, NODE_FILES.publicKeys), JSON.stringify({ keys: [publicJwk] }, null, 2));
    writeSecret(path.join(dir, NODE_FILES.noiseSecret), randomBytes(32));
    fs.writeFileSync(path.join(dir, NODE_FILES.coordinatorKeys), JSON.stringify({ keys: coordinatorKeys }, null, 2) + '\n');
    // Last, so a folder with node.json is always a whole node.
    fs.writeFileSync(config, JSON.stringify(body, null, 2) + '\n');
  } catch (error) {
    if (existed) for (const entry of fs.readdirSync(dir)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    else fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { config, publicKeys: path.join(dir, NODE_FILES.publicKeys), pinnedKeys: coordinatorKeys.length };
}
