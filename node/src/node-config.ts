/**
 * `@biospec/node/config`: a node folder's files, its config and its status file, without the
 * node (gRPC, catalogue, libp2p, ...): what the CLI's node commands read first, and all that
 * `biospec node status` and `node policy` need.
 */
export * from './config.js';
export * from './node-files.js';
export * from './node-status.js';
