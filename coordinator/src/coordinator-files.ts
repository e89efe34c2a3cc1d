// `@biospec/coordinator/files` exports this module alone: the CLI tells a folder that holds no
// coordinator without loading the coordinator.

/** Files `initCoordinatorDir` writes, relative to the coordinator folder. */
export const COORDINATOR_FILES = {
  config: 'coordinator.json',
  signingKey: 'coordinator-key.jwk.json',
  publicKeys: 'coordinator.jwks.json',
  pseudonymSecret: 'pseudonym-secret',
  nodesDir: 'nodes',
  stateDir: 'state',
} as const;
