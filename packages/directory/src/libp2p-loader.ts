import type { Libp2pDirectory, Libp2pDirectoryOptions } from './libp2p-directory.js';

// libp2p and its transports take most of a second of CPU to load. Everything else in this package
// (schemas, the snapshot the CLI reads, the in-memory bus) is used by processes that never join a
// network, so the libp2p modules are loaded on the first call that needs them, not on import.

/** Starts a libp2p peer (TCP, Noise, Yamux, identify, gossipsub) carrying the directory topic. */
export async function createLibp2pDirectory(options: Libp2pDirectoryOptions = {}): Promise<Libp2pDirectory> {
  return (await import('./libp2p-directory.js')).startLibp2pDirectory(options);
}

/** A new libp2p identity, protobuf-encoded, to keep in a file so the peer id survives restarts. */
export async function generatePeerKey(): Promise<Uint8Array> {
  return (await import('./libp2p-directory.js')).generatePeerKey();
}
