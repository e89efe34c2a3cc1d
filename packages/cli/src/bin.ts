#!/usr/bin/env node
import { createProgram } from './program.js';
import { reportError } from './report-error.js';

createProgram()
  .parseAsync(process.argv)
  .catch((reason: unknown) => {
    console.error(reportError(reason));
    process.exitCode = 1;
  });
