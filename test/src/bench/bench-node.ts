import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, credentials } from '@grpc/grpc-js';
import { NodeServiceClient, type CountResponse } from '@biospec/protocol';
import { createNodeCountClient } from '@biospec/federation';
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
  /** The unary Count call. */
  count(signedQuery: string): Promise<CountResponse>;
  /** The same over one CountStream kept open, as the coordinator asks; resolves with the signed result. */
  countOnStream(signedQuery: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts `biospec node start` and resolves once it serves and its count index is built.
 * The node logs to a file in its folder, as a deployed node does: a pipe read by this
 * (busy) benchmark process fills up and stalls the node's synchronous log writes.
 */
export async function startNodeProcess(dir: string): Promise<NodeProcess> {
  const logFile = path.join(dir, 'node.log');
  const log = fs.openSync(logFile, 'w');
  const child: ChildProcess = spawn(process.execPath, [BIN, 'node', 'start', '--dir', dir], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let indexBuildSeconds = NaN;
  let address: string | undefined;
  for (let exitCode: number | null | undefined; address === undefined; ) {
    exitCode = await Promise.race([exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 50))]);
    const out = fs.readFileSync(logFile, 'utf8');
    if (exitCode !== undefined) throw new Error(`node exited with ${exitCode}: ${out.slice(-2000)}`);
    const serving = /serving on (\S+)/.exec(out);
    const built = /built in ([\d.]+) s/.exec(out);
    if (built) indexBuildSeconds = Number(built[1]);
    if (serving && /count index ready|counting with SQL/.test(out)) address = serving[1]!;
  }
  const client = new NodeServiceClient(address, credentials.createInsecure(), { 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  const streamed = createNodeCountClient(client);
  return {
    pid: child.pid!,
    address,
    indexBuildSeconds,
    count: (signedQuery) =>
      new Promise((resolve, reject) =>
        client.count({ signedQuery }, new Metadata(), { deadline: Date.now() + 60_000 }, (e, r) => (e ? reject(e) : resolve(r))),
      ),
    countOnStream: (signedQuery) => streamed.count(signedQuery, new Date(Date.now() + 60_000)),
    async stop() {
      streamed.close();
      client.close();
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// The compiled program, also when this module runs from source under jest (`npm test` builds first).
const HOST = path.resolve(here, '../../dist/bench/node-host.js');

/** Several nodes served by one process (see node-host.ts). */
export interface NodeHost {
  pid: number;
  /** Per node folder, in the order given, the address it serves on. */
  addresses: string[];
  stop(): Promise<void>;
}

/** Starts a node-host process for `dirs` and resolves once every node serves with its count index built. */
export async function startNodeHost(dirs: readonly string[]): Promise<NodeHost> {
  const child: ChildProcess = spawn(process.execPath, [HOST, ...dirs], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-2000)));
  const byDir = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const { dir, address } = JSON.parse(pending.slice(0, nl)) as { dir: string; address: string };
        pending = pending.slice(nl + 1);
        byDir.set(dir, address);
      }
      if (byDir.size === dirs.length) resolve();
    });
    exited.then((code) => reject(new Error(`node host exited with ${code}: ${err}`)), reject);
  });
  return {
    pid: child.pid!,
    addresses: dirs.map((d) => byDir.get(d)!),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
