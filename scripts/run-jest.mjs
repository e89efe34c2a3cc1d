// Runs the whole jest suite and ends with the plain line CI reads: "N passed, N failed[, N skipped]".
// Arguments are passed on to jest (e.g. a path to run one folder).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const results = path.resolve('.test-results/jest.json');
fs.mkdirSync(path.dirname(results), { recursive: true });
fs.rmSync(results, { force: true });

const jest = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', 'node_modules/jest/bin/jest.js', '--json', `--outputFile=${results}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);

let summary = { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTotalTests: 0, numRuntimeErrorTestSuites: 0 };
if (fs.existsSync(results)) summary = JSON.parse(fs.readFileSync(results, 'utf8'));
const failed = summary.numFailedTests + summary.numRuntimeErrorTestSuites;
const skipped = summary.numPendingTests > 0 ? `, ${summary.numPendingTests} skipped` : '';
console.log(`${summary.numPassedTests} passed, ${failed} failed${skipped}`);
const ranNothing = summary.numTotalTests === 0;
process.exit(jest.status !== 0 || failed > 0 || ranNothing ? 1 : 0);
