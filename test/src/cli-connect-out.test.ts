import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { issueResearcher } from '@biospec/coordinator';
import { generateCatalogue, writeCsv } from '@biospec/synthetic';
import { biospec, BIOSPEC_BIN } from './harness/cli.js';
import { freePort } from './harness/tcp-proxy.js';

/** A service started as an operator starts it, resolved once its stdout matches `ready`. */
async function service(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [BIOSPEC_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = ready.exec(stdout);
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`biospec ${args.join(' ')} exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    match,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

let dir: string;
const running: { stop(): Promise<void> }[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-cli-connect-'));
});
afterAll(async () => {
  for (const s of running.reverse()) await s.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function waitForStatus(nodeDir: string, expected: RegExp) {
  const until = Date.now() + 30_000;
  for (;;) {
    const status = await biospec(['node', 'status', '--dir', nodeDir]);
    if (expected.test(status.stdout)) return status;
    if (Date.now() > until) throw new Error(`node status never matched ${expected}: ${status.stdout}${status.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('a hospital runs a node with no inbound port: one config key, it connects out, answers, and node status says so', async () => {
  const coordinatorDir = path.join(dir, 'coordinator');
  const nodeDir = path.join(dir, 'hospital');
  const connectAt = `127.0.0.1:${await freePort()}`;
  const ok = (r: { code: number; stderr: string }) => expect([r.code, r.stderr]).toEqual([0, '']);
  ok(await biospec(['coordinator', 'init', '--dir', coordinatorDir, '--grpc', '127.0.0.1:0', '--http', '127.0.0.1:0', '--node-connect', connectAt]));
  ok(
    await biospec(['node', 'init', '--dir', nodeDir, '--id', 'hospital', '--name', 'Hospital', '--connect-out', connectAt, '--coordinator-jwks', path.join(coordinatorDir, 'coordinator.jwks.json')]),
  );
  const config = JSON.parse(fs.readFileSync(path.join(nodeDir, 'node.json'), 'utf8')) as Record<string, unknown>;
  expect(config).not.toHaveProperty('listen');
  expect(config.connectOut).toEqual({ coordinator: connectAt });

  const csv = path.join(dir, 'export.csv');
  await writeCsv(generateCatalogue({ seed: 5, donors: 80, profile: 'university-hospital', idPrefix: 'H' }), csv);
  ok(await biospec(['node', 'import', csv, '--dir', nodeDir]));
  ok(await biospec(['coordinator', 'add-node', '--dir', coordinatorDir, '--id', 'hospital', '--name', 'Hospital', '--endpoint', 'connect-out', '--jwks', path.join(nodeDir, 'node.jwks.json')]));
  const { token } = await issueResearcher(coordinatorDir, { subject: 'cli-connect@example.org' });

  expect((await biospec(['node', 'status', '--dir', nodeDir])).stdout).toBe('node hospital: not running (no status file; it is written while the node runs)\n');
  const coordinator = await service(['coordinator', 'start', '--dir', coordinatorDir], /REST on (\S+), nodes connect out to (\S+) /);
  running.push(coordinator);
  expect(coordinator.match[2]).toBe(connectAt);
  const node = await service(['node', 'start', '--dir', nodeDir], /connecting out to (\S+) /);
  running.push(node);

  const status = await waitForStatus(nodeDir, /connect-out: connected/);
  expect(status.code).toBe(0);
  expect(status.stdout).toContain('listening: no port (connect-out only)');
  expect(status.stdout).toContain(`connect-out: connected to coordinator at ${connectAt} since `);

  const query = await biospec(['query', '--url', coordinator.match[1]!], { env: { BIOSPEC_TOKEN: token } });
  expect(query.code).toBe(0);
  expect(query.stdout).toMatch(/hospital\s+.*\s+ok\s+/);

  // The coordinator goes away: the node says it is not connected, and why.
  await coordinator.stop();
  const lost = await waitForStatus(nodeDir, /NOT connected/);
  expect(lost.code).toBe(1);
  expect(lost.stdout).toMatch(/last error: /);

  await node.stop();
  const stopped = await biospec(['node', 'status', '--dir', nodeDir]);
  expect(stopped.code).toBe(1);
  expect(stopped.stdout).toMatch(/^node hospital: not running \(stopped at /);
}, 90_000);
