// `@biospec/directory/config` exports this module alone: a service's config is read (by the CLI
// too) without loading the directory itself.
import path from 'node:path';
import { z } from 'zod';

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
