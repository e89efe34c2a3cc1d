#!/usr/bin/env node
// First, before anything loads libp2p: Node 20 lacks Promise.withResolvers (see the module).
import '@biospec/directory/polyfills';
import { createRequire } from 'node:module';
import type { pino as Pino } from 'pino';
import { installProcessGuards } from './process-guards.js';
import { createProgram } from './program.js';
import { reportError } from './report-error.js';

// Whatever biospec creates (catalogues, state databases and their -wal/-shm, keys, secrets,
// exports of specimen data) is its user's alone; services also check this at start.
process.umask(0o077);

// A bug that escapes every handler is logged as one line and ends the process with exit code 1.
// pino is loaded then (synchronously: the handler must log before it exits), not at every start.
installProcessGuards(() => {
  const { pino } = createRequire(import.meta.url)('pino') as { pino: typeof Pino };
  return pino({ base: { service: 'biospec' } }, pino.destination(2));
});

createProgram()
  .parseAsync(process.argv)
  .catch((reason: unknown) => {
    console.error(reportError(reason));
    process.exitCode = 1;
  });
