/**
 * `@biospec/protocol/core`: the error type and codes, storage faults, private files, JSON and
 * config reading, schema migrations and request ids, without grpc-js and the generated wire
 * code the package root also loads. Worker threads and the CLI's start import this, so they
 * start without paying for gRPC they never use.
 */
export * from './errors.js';
export * from './read-json-file.js';
export * from './storage-error.js';
export * from './private-files.js';
export * from './schema-migrations.js';
export * from './request-id.js';
export * from './config-input.js';
