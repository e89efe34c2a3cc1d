import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { NodeServiceClient, type CountResponse } from '@biospec/protocol';
import { loadNodeConfig, openNode, startNodeServer } from '@biospec/node';
import { importSigningKey, signQuery } from '@biospec/trust';
import { biospec } from './harness/cli.js';

// A node made without --coordinator-jwks says at init and at start that it pins no key, refuses
// every query, and accepts the coordinator's once `biospec node trust-coordinator` pins them,
// without a restart.
test('a node without a pinned coordinator key warns, and trust-coordinator pins the keys of a running node', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-trust-'));
  const nodeDir = path.join(work, 'node');
  const coordinatorDir = path.join(work, 'coordinator');
  expect(await biospec(['coordinator', 'init', '--dir', coordinatorDir])).toMatchObject({ code: 0 });
  const init = await biospec(['node', 'init', '--dir', nodeDir, '--id', 'late-site', '--name', 'Late Site', '--listen', '127.0.0.1:0']);
  expect(init.code).toBe(0);
  expect(init.stderr).toBe(
    `warning: no coordinator key is pinned in ${path.join(nodeDir, 'coordinator.jwks.json')}: the node refuses every query until one is; ` +
      `pin the coordinator's keys with \`biospec node trust-coordinator coordinator.jwks.json --dir ${nodeDir}\`\n`,
  );

  const logged: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line) as { level: number; msg: string }) });
  const node = await openNode(loadNodeConfig(path.join(nodeDir, 'node.json')), { logger });
  const server = await startNodeServer(node);
  const client = new NodeServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
  try {
    expect(logged).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringMatching(/^no coordinator key is pinned in .*coordinator\.jwks\.json/) }));

    const key = await importSigningKey(JSON.parse(fs.readFileSync(path.join(coordinatorDir, 'coordinator-key.jwk.json'), 'utf8')));
    const ask = async (): Promise<CountResponse> => {
      const token = await signQuery(
        { query: { unit: 'donors' }, purpose: 'DUO:0000006', researcher: 'r-late', project: 'p', audience: 'late-site', issuer: 'coordinator' },
        key,
      );
      return new Promise((resolve, reject) =>
        client.count({ signedQuery: token }, new Metadata(), { deadline: Date.now() + 5000 }, (err: ServiceError | null, res) => (err ? reject(err) : resolve(res))),
      );
    };
    await expect(ask()).rejects.toMatchObject({ code: status.UNAUTHENTICATED });

    const pinned = await biospec(['node', 'trust-coordinator', path.join(coordinatorDir, 'coordinator.jwks.json'), '--dir', nodeDir]);
    expect(pinned).toMatchObject({ code: 0, stderr: '' });
    expect(pinned.stdout).toBe(`pinned ${key.kid}; the node now accepts queries signed by ${key.kid} (in ${path.join(nodeDir, 'coordinator.jwks.json')})\n`);

    // The running node re-reads its pinned keys at most once a second: wait for it, generously.
    const deadline = Date.now() + 30_000;
    let answer: CountResponse | undefined;
    while (answer === undefined) {
      answer = await ask().catch((err: ServiceError) => {
        if (err.code !== status.UNAUTHENTICATED || Date.now() > deadline) throw err;
        return new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 200));
      });
    }
    expect(answer.signedResult).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    const again = await biospec(['node', 'trust-coordinator', path.join(coordinatorDir, 'coordinator.jwks.json'), '--dir', nodeDir]);
    expect(again.stdout).toBe(`no new key; the node now accepts queries signed by ${key.kid} (in ${path.join(nodeDir, 'coordinator.jwks.json')})\n`);
  } finally {
    client.close();
    await server.stop(200);
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 120_000);
