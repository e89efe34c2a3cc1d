// Installs what the tests need from Debian: an independent gRPC (python3-grpcio) and JOSE
// (python3-jwcrypto) implementation for the interoperability tests, Chromium for the web
// UI's browser tests, PostgreSQL for the coordinator's shared-state tests and helm for the chart checks (driven by playwright-core; no browser can be downloaded from elsewhere).
// Idempotent; does nothing when they are present. Tests that need them fail loudly if this could not run.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { ensureHelm } from './helm-binary.mjs';

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

// systemd-analyze, for the unit checks (test/src/deploy.test.ts); on the project's machine image already.
if (spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status !== 0) {
  if (process.getuid?.() !== 0) {
    console.error('systemd-analyze missing; run as root or install: apt-get install -y systemd');
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'systemd'], { stdio: 'inherit', env });
}

// A PostgreSQL server, for the coordinator's shared-database tests (each starts its own in a temp folder).
const hasPostgres = () => fs.existsSync('/usr/lib/postgresql') && fs.readdirSync('/usr/lib/postgresql').some((v) => fs.existsSync(`/usr/lib/postgresql/${v}/bin/pg_ctl`));
if (!hasPostgres()) {
  if (process.getuid?.() !== 0) {
    console.error('PostgreSQL missing; run as root or install: apt-get install -y postgresql');
    process.exit(1);
  }
  console.log('installing PostgreSQL from Debian');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], { stdio: 'inherit', env });
}
console.log('test dependencies: PostgreSQL present');

// helm, for the chart checks (test/src/deploy.test.ts).
console.log(`helm: ${ensureHelm()}`);
