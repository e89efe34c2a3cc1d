import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, credentials } from '@grpc/grpc-js';
import { NodeServiceClient, type CountResponse } from '@biospec/protocol';
import { DEFAULT_POLICY } from '@biospec/privacy';
import { generateSigningKey, importSigningKey, type SigningKey } from '@biospec/trust';
import { initNodeDir } from '@biospec/node';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(here, '../../../packages/cli/dist/bin.js');

/** Protection as deployed (default noise and rounding), without the budget and rate limits a benchmark would exhaust. */
export const BENCH_POLICY = { ...DEFAULT_POLICY, budget: null, rateLimits: [{ limit: 1_000_000_000, windowSeconds: 1 }] };

/** A node folder whose pinned coordinator key the benchmark holds, so it can sign queries. */
export async function createBenchNode(dir: string, nodeId: string): Promise<{ coordinatorKey: SigningKey; configFile: string; jwksFile: string }> {
  const { privateJwk, publicJwk } = await generateSigningKey();
  const coordinatorJwks = path.join(path.dirname(dir), `${nodeId}.coordinator.jwks.json`);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.writeFileSync(coordinatorJwks, JSON.stringify({ keys: [publicJwk] }));
  const { config, publicKeys } = await initNodeDir(dir, { nodeId, name: nodeId, listen: '127.0.0.1:0', coordinatorJwks, policy: BENCH_POLICY });
  return { coordinatorKey: await importSigningKey(privateJwk), configFile: config, jwksFile: publicKeys };
}

/** A node running in its own process, as in production, so its memory can be read on its own. */
export interface NodeProcess {
  pid: number;
  address: string;
  /** Seconds the node took to build its count index at start-up (NaN when it counts with SQL). */
  indexBuildSeconds: number;
  count(signedQuery: string): Promise<CountResponse>;
  stop(): Promise<void>;
}

/** Starts `biospec node start` and resolves once it serves and its count index is built. */
export async function startNodeProcess(dir: string): Promise<NodeProcess> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'node', 'start', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let indexBuildSeconds = NaN;
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /serving on (\S+)/.exec(out);
      const built = /built in ([\d.]+) s/.exec(out);
      if (built) indexBuildSeconds = Number(built[1]);
      if (match && /count index ready|counting with SQL/.test(out)) resolve(match[1]!);
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`node exited with ${code}: ${err.slice(-2000)}`)));
  });
  child.stderr!.resume();
  const client = new NodeServiceClient(address, credentials.createInsecure(), { 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  return {
    pid: child.pid!,
    address,
    indexBuildSeconds,
    count: (signedQuery) =>
      new Promise((resolve, reject) =>
        client.count({ signedQuery }, new Metadata(), { deadline: Date.now() + 60_000 }, (e, r) => (e ? reject(e) : resolve(r))),
      ),
    async stop() {
      client.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
