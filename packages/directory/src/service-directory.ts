import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BiospecError } from '@biospec/protocol';
import type { DirectoryEntry, DirectoryOptions } from './directory.js';
import type { Libp2pDirectory } from './libp2p-directory.js';
import { createLibp2pDirectory, generatePeerKey } from './libp2p-loader.js';
import { restoredEntries, startSnapshotWriter } from './snapshot.js';

/**
 * The `directory` block of `node.json` and `coordinator.json`. Absent, or `enabled: false`
 * (the default), and the service starts no directory at all. Paths are relative to the config file.
 */
export const DirectoryConfigSchema = z
  .object({
    enabled: z.boolean().default(false).describe('Join the directory at start.'),
    listen: z.array(z.string().min(1)).min(1).default(['/ip4/0.0.0.0/tcp/4001']).describe('libp2p multiaddrs to listen on.'),
    announce: z.array(z.string().min(1)).default([]).describe('Multiaddrs other peers should dial instead (behind NAT); default: the listening ones.'),
    bootstrap: z.array(z.string().min(1)).default([]).describe('Peers to join through: the network\'s coordinator, or nodes the operator knows. No public bootstrap list exists.'),
    refreshSeconds: z.number().int().min(1).max(3600).default(30).describe('How often a node announces itself again.'),
    staleAfterSeconds: z.number().int().min(2).max(86_400).default(90).describe('A node is stale after this long without a descriptor; at least two refresh intervals.'),
    snapshot: z.string().min(1).default('state/directory.json').describe('What `biospec directory` reads; also read back at start, so first-use trust survives restarts.'),
    peerKey: z.string().min(1).default('state/directory-peer.key').describe('This peer\'s libp2p identity, created on first start (keeps the peer id stable).'),
    endpoint: z.string().min(1).optional().describe('A node\'s gRPC address as others should dial it, or `connect-out`; default its `listen`. Nodes only.'),
    institution: z.string().min(1).max(200).optional().describe('The institution a node belongs to; default its name. Nodes only.'),
  })
  .strict()
  .refine((c) => c.staleAfterSeconds >= 2 * c.refreshSeconds, { message: 'staleAfterSeconds must be at least two refresh intervals', path: ['staleAfterSeconds'] });
export type DirectoryConfig = z.infer<typeof DirectoryConfigSchema>;

/** The config with its paths resolved against the config file's folder. */
export function resolveDirectoryConfig(config: DirectoryConfig, baseDir: string): DirectoryConfig {
  return { ...config, snapshot: path.resolve(baseDir, config.snapshot), peerKey: path.resolve(baseDir, config.peerKey) };
}

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
