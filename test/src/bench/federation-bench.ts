import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { importCsv, openCatalogue } from '@biospec/catalogue';
import { generateCatalogue, writeCsv } from '@biospec/synthetic';
import { initNodeDir } from '@biospec/node';
import {
  addMember,
  COORDINATOR_FILES,
  initCoordinatorDir,
  issueResearcher,
  loadCoordinatorConfig,
  openCoordinator,
  startCoordinatorHttp,
} from '@biospec/coordinator';
import { QUERY_SHAPES } from './shapes.js';
import { BENCH_POLICY, startNodeHost, type NodeHost } from './bench-node.js';
import { summarise, time, type Timing } from './stats.js';

export interface FederationBenchResult {
  nodes: number;
  latency: Timing;
  sitesOk: number;
}

export interface FederationBench {
  /** Federated latency through REST with `nodes` members (signing and verification on). */
  latency(nodes: number, runs: number, warmup: number): Promise<FederationBenchResult>;
  /** Completed federated queries per second with `concurrency` requests in flight, and the CPU each took. */
  throughput(nodes: number, seconds: number, concurrency: number): Promise<ThroughputResult>;
  /** Latency with one member that accepts connections and never answers, at a given deadline. */
  slowNode(nodes: number, runs: number, deadlineMs: number): Promise<{ without: Timing; withSlow: Timing }>;
  stop(): Promise<void>;
}

export interface ThroughputResult {
  perSecond: number;
  /** CPU time per federated query of this process: coordinator plus the benchmark's own HTTP client. */
  coordinatorCpuMs: number;
  /** CPU time per federated query of all node processes together (NaN where /proc is missing). */
  nodesCpuMs: number;
}

const GENEROUS = [{ limit: 1_000_000_000, windowSeconds: 1 }];

/**
 * Starts `maxNodes` nodes, each its own gRPC server with its own keys and its own
 * copy of one small synthetic catalogue, served by `processes` processes, and
 * builds coordinators over the first N of them on demand.
 */
export async function startFederationBench(
  workDir: string,
  maxNodes: number,
  donorsPerNode: number,
  processes: number,
  log: (line: string) => void,
): Promise<FederationBench> {
  const dir = path.join(workDir, 'federation');
  fs.mkdirSync(dir, { recursive: true });
  const template = path.join(dir, 'template.db');
  const csv = path.join(dir, 'template.csv');
  await writeCsv(generateCatalogue({ seed: 9, donors: donorsPerNode, profile: 'university-hospital', idPrefix: 'F' }), csv);
  // No count index: the file is copied once closed, which needs its last connection closed (and the log checkpointed).
  const catalogue = openCatalogue(template, { countIndex: 'off' });
  await importCsv(catalogue, csv, { actor: 'bench' });
  catalogue.close();

  const coordinatorDir = path.join(dir, 'coordinator');
  const { publicKeys: coordinatorJwks } = await initCoordinatorDir(coordinatorDir, { httpListen: '127.0.0.1:0', rateLimits: GENEROUS });
  const { token } = await issueResearcher(coordinatorDir, { subject: 'bench@example.org' });

  const hosts = Math.min(maxNodes, processes);
  log(`starting ${maxNodes} nodes in ${hosts} processes`);
  const nodes: { id: string; dir: string; address: string; jwks: string }[] = [];
  for (let i = 0; i < maxNodes; i++) {
    const id = `node-${String(i).padStart(3, '0')}`;
    const nodeDir = path.join(dir, id);
    const { publicKeys } = await initNodeDir(nodeDir, { nodeId: id, name: id, listen: '127.0.0.1:0', coordinatorJwks, policy: BENCH_POLICY });
    fs.copyFileSync(template, path.join(nodeDir, 'catalogue.db'));
    // copyFile gives the copy the template's mode; a node refuses a catalogue others can read.
    fs.chmodSync(path.join(nodeDir, 'catalogue.db'), 0o600);
    nodes.push({ id, dir: nodeDir, address: '', jwks: publicKeys });
  }
  // Round robin, so the first N nodes of any size asked for are spread over every process.
  const groups = Array.from({ length: hosts }, (_, h) => nodes.filter((_, i) => i % hosts === h));
  const running: NodeHost[] = [];
  // A few at a time: starting a hundred Node processes at once only thrashes two cores.
  for (let g = 0; g < groups.length; g += 8) {
    const batch = groups.slice(g, g + 8);
    const started = await Promise.all(batch.map((group) => startNodeHost(group.map((n) => n.dir))));
    started.forEach((host, b) => batch[b]!.forEach((n, i) => (n.address = host.addresses[i]!)));
    running.push(...started);
  }
  const silent = pino({ level: 'silent' });

  async function withCoordinator<T>(count: number, extra: { id: string; endpoint: string; jwks: string }[], run: (url: string) => Promise<T>): Promise<T> {
    const config = loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config));
    const members = [...nodes.slice(0, count).map((n) => ({ id: n.id, endpoint: n.address, jwks: n.jwks })), ...extra];
    for (const m of members) addMember(coordinatorDir, { id: m.id, name: m.id, endpoint: m.endpoint, jwksFile: m.jwks });
    const selected = loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config));
    const coordinator = await openCoordinator({ ...config, nodes: selected.nodes.filter((n) => members.some((m) => m.id === n.id)) }, { logger: silent });
    const http = await startCoordinatorHttp(coordinator);
    try {
      return await run(`http://${http.address}`);
    } finally {
      await http.stop();
      await coordinator.close();
    }
  }

  // The load generator shares the coordinator's process and cores, so it must be cheap: plain
  // node:http on kept-alive connections costs a fraction of fetch's CPU per request.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const post = (url: string, body: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = http.request(
        `${url}/api/v1/count`,
        { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });

  let question = 0;
  const ask = async (url: string, deadlineMs?: number) => {
    // Each question differs (another age bound), so no layer can answer from a cache.
    const shape = QUERY_SHAPES[0]!.query(0);
    const query = { ...shape, where: { op: 'and', args: [shape.where, { op: 'age_range', min: 18 + (question++ % 60) }] } };
    const response = await post(url, JSON.stringify({ query, purpose: 'DUO:0000006', project: 'bench', ...(deadlineMs ? { deadlineMs } : {}) }));
    if (response.status !== 200) throw new Error(`coordinator answered ${response.status}: ${response.text}`);
    return JSON.parse(response.text) as { sites: { status: string }[] };
  };

  return {
    latency: (count, runs, warmup) =>
      withCoordinator(count, [], async (url) => {
        const last = await ask(url);
        const timing = await time(() => ask(url), { runs, warmup });
        return { nodes: count, latency: timing, sitesOk: last.sites.filter((s) => s.status === 'SITE_STATUS_OK').length };
      }),
    throughput: (count, seconds, concurrency) =>
      withCoordinator(count, [], async (url) => {
        await ask(url);
        const coordinatorBefore = process.cpuUsage();
        const nodesBefore = cpuMsOf(running.map((h) => h.pid));
        const end = performance.now() + seconds * 1000;
        let done = 0;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (performance.now() < end) {
              await ask(url);
              done += 1;
            }
          }),
        );
        const coordinator = process.cpuUsage(coordinatorBefore);
        return {
          perSecond: done / seconds,
          coordinatorCpuMs: (coordinator.user + coordinator.system) / 1000 / done,
          nodesCpuMs: (cpuMsOf(running.map((h) => h.pid)) - nodesBefore) / done,
        };
      }),
    async slowNode(count, runs, deadlineMs) {
      const without = await withCoordinator(count, [], (url) => time(() => ask(url, deadlineMs), { runs, warmup: 3 }));
      const sockets = new Set<net.Socket>();
      const blackhole = net.createServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
      const endpoint = `127.0.0.1:${(blackhole.address() as net.AddressInfo).port}`;
      try {
        const samples: number[] = [];
        await withCoordinator(count, [{ id: 'silent-node', endpoint, jwks: nodes[0]!.jwks }], async (url) => {
          for (let i = 0; i < runs; i++) {
            const start = performance.now();
            await ask(url, deadlineMs);
            samples.push(performance.now() - start);
          }
        });
        return { without, withSlow: summarise(samples) };
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => blackhole.close(() => resolve()));
      }
    },
    async stop() {
      agent.destroy();
      await Promise.all(running.map((h) => h.stop()));
    },
  };
}

/** User plus system CPU milliseconds of processes so far, from /proc (Linux); NaN elsewhere. */
function cpuMsOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks of 10 ms.
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return NaN;
    }
  }
  return ticks * 10;
}
