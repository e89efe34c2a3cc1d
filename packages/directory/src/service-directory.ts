import fs from 'node:fs';
import path from 'node:path';
import { BiospecError } from '@biospec/protocol';
import type { DirectoryConfig } from './directory-config.js';
import type { DirectoryEntry, DirectoryOptions } from './directory.js';
import type { Libp2pDirectory } from './libp2p-directory.js';
import { createLibp2pDirectory, generatePeerKey } from './libp2p-loader.js';
import { restoredEntries, startSnapshotWriter } from './snapshot.js';

export { DirectoryConfigSchema, resolveDirectoryConfig, type DirectoryConfig } from './directory-config.js';

/** A service's directory: the libp2p directory, its snapshot file, and one `stop` for both. */
export interface ServiceDirectory {
  directory: Libp2pDirectory;
  stop(): Promise<void>;
}

/**
 * Starts the directory a node or coordinator runs: its peer key (created on first start),
 * what the last snapshot knew, the libp2p peer, and the snapshot writer.
 */
export async function startServiceDirectory(
  config: DirectoryConfig,
  options: {
    role: 'node' | 'coordinator';
    id: string;
    pinnedKeys?: DirectoryOptions['pinnedKeys'];
    annotate?: (entry: DirectoryEntry) => string[];
    onError: (error: Error) => void;
  },
): Promise<ServiceDirectory> {
  const staleAfterMs = config.staleAfterSeconds * 1000;
  const directory = await createLibp2pDirectory({
    listen: config.listen,
    announce: config.announce,
    bootstrap: config.bootstrap,
    peerKey: await loadOrCreatePeerKey(config.peerKey),
    refreshIntervalMs: config.refreshSeconds * 1000,
    staleAfterMs,
    restore: restoredEntries(config.snapshot),
    ...(options.pinnedKeys ? { pinnedKeys: options.pinnedKeys } : {}),
  });
  directory.on('error', options.onError);
  const writer = startSnapshotWriter({
    directory,
    file: config.snapshot,
    owner: { role: options.role, id: options.id, addresses: () => directory.addresses() },
    staleAfterMs,
    ...(options.annotate ? { annotate: options.annotate } : {}),
    onError: options.onError,
  });
  return {
    directory,
    async stop() {
      writer.stop();
      await directory.stop();
    },
  };
}

async function loadOrCreatePeerKey(file: string): Promise<Uint8Array> {
  try {
    if (fs.existsSync(file)) return new Uint8Array(fs.readFileSync(file));
    const key = await generatePeerKey();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, key, { mode: 0o600 });
    return key;
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', `cannot read or create the directory peer key ${file}: ${(cause as Error).message}`, { cause });
  }
}
