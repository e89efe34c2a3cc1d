// `@biospec/node/files` exports this module alone: the CLI tells a folder that holds no node
// without loading the node (about 0.6 s of CPU per command).

/** Files `initNodeDir` writes, relative to the node folder. */
export const NODE_FILES = {
  config: 'node.json',
  signingKey: 'node-key.jwk.json',
  publicKeys: 'node.jwks.json',
  noiseSecret: 'noise-secret',
  coordinatorKeys: 'coordinator.jwks.json',
} as const;
