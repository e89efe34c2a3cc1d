#!/usr/bin/env node
import { createProgram } from './program.js';
import { reportError } from './report-error.js';

// Whatever biospec creates (catalogues, state databases and their -wal/-shm, keys, secrets,
// exports of specimen data) is its user's alone; services also check this at start.
process.umask(0o077);

createProgram()
  .parseAsync(process.argv)
  .catch((reason: unknown) => {
    console.error(reportError(reason));
    process.exitCode = 1;
  });
