/**
 * Always answering, measured: a node in its own process (served-node.ts)
 * asked a question every 50 ms (20 a second, each with a 5 s deadline) while
 * it starts without its persisted index (cold), starts with it (warm), and
 * while an update import of the whole catalogue runs and commits (as
 * `biospec node import` in a process of its own, as an operator runs it) until
 * the node answers at the new epoch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Metadata, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { snapshotPathOf } from '@biospec/catalogue';
import { NodeServiceClient } from '@biospec/protocol';
import type { Query } from '@biospec/query';
import { generateCatalogue, writeCsv } from '@biospec/synthetic';
import { signQuery, type SigningKey } from '@biospec/trust';
import { QUERY_SHAPES } from './shapes.js';
import { summarise } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SERVED = path.resolve(here, '../../dist/bench/served-node.js');
const BIN = path.resolve(here, '../../../packages/cli/dist/bin.js');
const INTERVAL_MS = 50;
const DEADLINE_MS = 5000;

/** What 20 questions a second met in one window. */
export interface LoadWindow {
  seconds: number;
  questions: number;
  answered: number;
  /** Refused at once with UNAVAILABLE "count index warming up". */
  warmingUp: number;
  /** Not answered within the 5 s deadline, or failed otherwise. */
  missed: number;
  /** Of the answered questions. */
  latencyP50: number;
  latencyP99: number;
  /** The node process's event loop over the window (5 ms resolution). */
  loopDelayP99: number;
  loopDelayMax: number;
}

export interface AlwaysBenchResult {
  /** Process start to the first indexed answer: without a persisted index, and with it. */
  coldStartSeconds: number;
  warmStartSeconds: number;
  cold: LoadWindow;
  warm: LoadWindow;
  /** The update import as its own process, and the time from its end until answers carry the new epoch. */
  importSeconds: number;
  switchSeconds: number;
  update: LoadWindow;
}

interface ServedNode {
  client: NodeServiceClient;
  report(): Promise<{ p99: number; max: number }>;
  stop(): Promise<void>;
}

async function startServed(dir: string): Promise<ServedNode> {
  const child: ChildProcess = spawn(process.execPath, [SERVED, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const { address } = JSON.parse(await next()) as { address: string };
  const client = new NodeServiceClient(address, credentials.createInsecure());
  return {
    client,
    async report() {
      const line = next();
      child.stdin!.write('report\n');
      return JSON.parse(await line) as { p99: number; max: number };
    },
    async stop() {
      client.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

type Outcome = { ok: true; ms: number; epoch: number } | { ok: false; ms: number; warming: boolean };

/** Asks `query(i)` every 50 ms until `done()` says stop; `onAnswer` sees every outcome as it comes. */
async function steady(
  node: () => NodeServiceClient | undefined,
  sign: (query: Query) => Promise<string>,
  done: () => boolean,
  onAnswer: (outcome: Outcome) => void = () => undefined,
): Promise<Outcome[]> {
  const outcomes: Promise<Outcome>[] = [];
  for (let i = 0; !done(); i++) {
    const client = node();
    if (client !== undefined) {
      const token = await sign(QUERY_SHAPES[i % QUERY_SHAPES.length]!.query(5000 + i));
      const started = performance.now();
      outcomes.push(
        new Promise<Outcome>((resolve) =>
          client.count({ signedQuery: token }, new Metadata(), { deadline: Date.now() + DEADLINE_MS }, (error: ServiceError | null, response) => {
            const ms = performance.now() - started;
            const outcome: Outcome = error
              ? { ok: false, ms, warming: error.code === GrpcStatus.UNAVAILABLE && /warming up/.test(error.details) }
              : { ok: true, ms, epoch: response.result!.dataEpoch };
            onAnswer(outcome);
            resolve(outcome);
          }),
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
  }
  return Promise.all(outcomes);
}

function windowOf(outcomes: Outcome[], seconds: number, loop: { p99: number; max: number }): LoadWindow {
  const answered = outcomes.filter((o) => o.ok);
  const latency = summarise(answered.map((o) => o.ms));
  return {
    seconds,
    questions: outcomes.length,
    answered: answered.length,
    warmingUp: outcomes.filter((o) => !o.ok && o.warming).length,
    missed: outcomes.filter((o) => !o.ok && !o.warming).length,
    latencyP50: latency.p50,
    latencyP99: latency.p99,
    loopDelayP99: loop.p99,
    loopDelayMax: loop.max,
  };
}

/** A start of the node at `dir`, asked 20 questions a second from the start until it has answered indexed counts for a few seconds. */
async function measuredStart(dir: string, sign: (query: Query) => Promise<string>): Promise<{ node: ServedNode; firstAnswerSeconds: number; window: LoadWindow }> {
  const started = performance.now();
  let node: ServedNode | undefined;
  const starting = startServed(dir).then((n) => (node = n));
  let firstAnswer = NaN;
  const outcomes = await steady(
    () => node?.client,
    sign,
    () => Number.isFinite(firstAnswer) && performance.now() - started > firstAnswer * 1000 + 3000,
    (o) => {
      if (o.ok && !Number.isFinite(firstAnswer)) firstAnswer = (performance.now() - started) / 1000;
    },
  );
  await starting;
  const served = node as unknown as ServedNode;
  return { node: served, firstAnswerSeconds: firstAnswer, window: windowOf(outcomes, (performance.now() - started) / 1000, await served.report()) };
}

export async function benchAlwaysAnswering(
  nodeDir: string,
  cataloguePath: string,
  rows: number,
  donors: number,
  coordinatorKey: SigningKey,
  log: (line: string) => void,
): Promise<AlwaysBenchResult> {
  const sign = (query: Query) =>
    signQuery({ query, purpose: 'DUO:0000006', researcher: 'r-bench', project: 'bench', audience: 'bench-node', issuer: 'coordinator', lifetimeSeconds: 300 }, coordinatorKey);

  log(`always answering (${rows} rows): start without a persisted index`);
  fs.rmSync(snapshotPathOf(cataloguePath), { force: true });
  const cold = await measuredStart(nodeDir, sign);
  await cold.node.stop();
  log('always answering: start with the persisted index');
  const warm = await measuredStart(nodeDir, sign);

  // The update: every 7th specimen reserved (the same catalogue otherwise), imported as an operator does.
  const update = path.join(path.dirname(nodeDir), 'update.csv');
  await writeCsv(
    (function* () {
      let i = 0;
      for (const record of generateCatalogue({ seed: 42, donors, profile: 'university-hospital', idPrefix: 'B' })) {
        yield i++ % 7 === 0 && record.status === 'available' ? { ...record, status: 'reserved' as const } : record;
      }
    })(),
    update,
  );
  log('always answering: update import while the node answers');
  // Reset the node's event-loop histogram: the window below starts here.
  await warm.node.report();
  const started = performance.now();
  let importEnd = NaN;
  let switchAt = NaN;
  let oldEpoch = -1;
  const importer = spawn(process.execPath, [BIN, 'node', 'import', update, '--dir', nodeDir], { stdio: 'ignore' });
  const imported = new Promise<number | null>((resolve) => importer.once('exit', resolve)).then((code) => {
    importEnd = performance.now();
    if (code !== 0) throw new Error(`biospec node import exited with ${code}`);
  });
  const outcomes = await steady(
    () => warm.node.client,
    sign,
    () => Number.isFinite(switchAt) && performance.now() - switchAt > 2000,
    (o) => {
      if (!o.ok) return;
      if (oldEpoch < 0) oldEpoch = o.epoch;
      if (o.epoch > oldEpoch && Number.isFinite(importEnd) && !Number.isFinite(switchAt)) switchAt = performance.now();
    },
  );
  await imported;
  const window = windowOf(outcomes, (performance.now() - started) / 1000, await warm.node.report());
  await warm.node.stop();
  fs.rmSync(update, { force: true });
  return {
    coldStartSeconds: cold.firstAnswerSeconds,
    warmStartSeconds: warm.firstAnswerSeconds,
    cold: cold.window,
    warm: warm.window,
    importSeconds: (importEnd - started) / 1000,
    switchSeconds: (switchAt - importEnd) / 1000,
    update: window,
  };
}
