/**
 * One jest run over every workspace. Tests import sibling packages from their
 * TypeScript sources (moduleNameMapper), so a test never needs a prior build;
 * `npm test` still runs `tsc -b` first because ts-jest here only transpiles.
 */
const workspaces = {
  protocol: 'packages/protocol',
  health: 'packages/health',
  backup: 'packages/backup',
  query: 'packages/query',
  privacy: 'packages/privacy',
  trust: 'packages/trust',
  'count-index': 'packages/count-index',
  catalogue: 'packages/catalogue',
  fhir: 'packages/fhir',
  synthetic: 'packages/synthetic',
  federation: 'packages/federation',
  registry: 'packages/registry',
  postgres: 'packages/postgres',
  directory: 'packages/directory',
  access: 'packages/access',
  connect: 'packages/connect',
  cli: 'packages/cli',
  node: 'node',
  coordinator: 'coordinator',
};

export default {
  testEnvironment: 'node',
  // libp2p needs Promise.withResolvers, which Node 20 lacks: the one polyfill module, loaded before every test file.
  setupFiles: ['<rootDir>/packages/directory/src/polyfills.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  moduleNameMapper: {
    // Property-test generators of the query model, shared with the integration tests.
    '^@biospec/query/testing$': '<rootDir>/packages/query/src/testing/arbitraries.ts',
    // The run-time import graph of a package's sources, for the tests that keep light entry points light.
    '^@biospec/protocol/testing$': '<rootDir>/packages/protocol/src/testing/import-graph.ts',
    // What the web UI bundles of the query model (no Node built-ins).
    '^@biospec/query/browser$': '<rootDir>/packages/query/src/browser.ts',
    // Compliance suites: one test suite per repository interface, run against every implementation.
    '^@biospec/privacy/testing$': '<rootDir>/packages/privacy/src/testing/rate-limit-store-compliance.ts',
    '^@biospec/trust/testing$': '<rootDir>/packages/trust/src/testing/audit-store-compliance.ts',
    '^@biospec/postgres/testing$': '<rootDir>/packages/postgres/src/testing/pg-server.ts',
    '^@biospec/registry/testing$': '<rootDir>/packages/registry/src/testing/people-compliance.ts',
    // Repository compliance suites any implementation of the access store runs.
    '^@biospec/access/testing$': '<rootDir>/packages/access/src/testing/compliance.ts',
    // Light entry points (what worker threads and the CLI's start load): the same modules as the
    // package roots, so a BiospecError thrown through one is the class a test imports from the other.
    '^@biospec/protocol/core$': '<rootDir>/packages/protocol/src/core.ts',
    '^@biospec/query/model$': '<rootDir>/packages/query/src/model.ts',
    '^@biospec/privacy/preset-names$': '<rootDir>/packages/privacy/src/preset-names.ts',
    '^@biospec/access/states$': '<rootDir>/packages/access/src/states.ts',
    '^@biospec/synthetic/profiles$': '<rootDir>/packages/synthetic/src/profiles.ts',
    '^@biospec/node/files$': '<rootDir>/node/src/node-files.ts',
    '^@biospec/node/config$': '<rootDir>/node/src/node-config.ts',
    '^@biospec/privacy/policy$': '<rootDir>/packages/privacy/src/policy.ts',
    '^@biospec/directory/config$': '<rootDir>/packages/directory/src/directory-config.ts',
    '^@biospec/coordinator/files$': '<rootDir>/coordinator/src/coordinator-files.ts',
    ...Object.fromEntries(
      Object.entries(workspaces).map(([name, dir]) => [`^@biospec/${name}$`, `<rootDir>/${dir}/src/index.ts`]),
    ),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  roots: ['<rootDir>/packages', '<rootDir>/node', '<rootDir>/coordinator', '<rootDir>/web', '<rootDir>/test'],
  testMatch: ['**/src/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 30000,
};
