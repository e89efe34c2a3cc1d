// Installs what the tests need from Debian: an independent gRPC (python3-grpcio) and JOSE
// (python3-jwcrypto) implementation for the interoperability tests, and Chromium for the web
// UI's browser tests (driven by playwright-core; no browser can be downloaded from elsewhere).
// Idempotent; does nothing when they are present. Tests that need them fail loudly if this could not run.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';

const PYTHON = '/usr/bin/python3';
const PYTHON_PACKAGES = ['python3-grpcio', 'python3-grpc-tools', 'python3-jwcrypto'];
const CHROMIUM = '/usr/bin/chromium';

function pythonPresent() {
  return spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools, jwcrypto'], { stdio: 'ignore' }).status === 0;
}

function chromiumPresent() {
  return fs.existsSync(CHROMIUM) && spawnSync(CHROMIUM, ['--version'], { stdio: 'ignore' }).status === 0;
}

const missing = [...(pythonPresent() ? [] : PYTHON_PACKAGES), ...(chromiumPresent() ? [] : ['chromium'])];
if (missing.length === 0) {
  console.log(`test dependencies: ${PYTHON_PACKAGES.join(', ')}, chromium present`);
} else {
  if (process.getuid?.() !== 0) {
    console.error(`test dependencies missing; run as root or install: apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  console.log(`installing test dependencies from Debian: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  if (!pythonPresent()) {
    console.error('python3 interop packages installed but not importable by /usr/bin/python3');
    process.exit(1);
  }
  if (!chromiumPresent()) {
    console.error(`chromium installed but ${CHROMIUM} --version does not run`);
    process.exit(1);
  }
}
