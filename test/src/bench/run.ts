import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_CAPS, benchCatalogue, type CatalogueBenchResult } from './catalogue-bench.js';
import type { LoadWindow } from './always-bench.js';
import { benchSignatures } from './crypto-bench.js';
import { benchFhirImport, type FhirBenchResult } from './fhir-bench.js';
import { startFederationBench, type FederationBenchResult, type ThroughputResult } from './federation-bench.js';
import { describeMachine } from './machine.js';
import { ms, type Timing } from './stats.js';

/** Sizes of one benchmark run. The quick mode keeps every code path exercised in CI. */
export interface BenchPlan {
  name: 'quick' | 'full';
  catalogueRows: number[];
  /** Specimens of the bbmri.de Bundles whose FHIR import is timed. */
  fhirSpecimens: number[];
  countRuns: number;
  /** Questions a node answers (every shape in turn) before its Count RPC is timed: a node in service is warm. */
  nodeWarmup: number;
  federationNodes: number[];
  federationRuns: number;
  /** Questions asked before timing, so long-running nodes are measured warm, as in service. */
  federationWarmup: number;
  donorsPerNode: number;
  /** Processes serving the federation's nodes (round robin): one per core, as each node would have its own machine. */
  nodeProcesses: number;
  /** Nodes of the comparison run with one process per node. */
  isolatedNodes: number;
  throughputNodes: number;
  throughputSeconds: number;
  concurrency: number;
  slowNodeDeadlineMs: number;
  signatureSeconds: number;
  /** Runs per question of the DuckDB and the SQLite (index off) comparison. */
  peerRuns: { duckdb: number; sqlite: number };
}

export const QUICK: BenchPlan = {
  name: 'quick',
  catalogueRows: [20_000],
  fhirSpecimens: [5_000],
  countRuns: 20,
  nodeWarmup: 12,
  federationNodes: [3, 5],
  federationRuns: 10,
  federationWarmup: 3,
  donorsPerNode: 300,
  nodeProcesses: 2,
  isolatedNodes: 3,
  throughputNodes: 5,
  throughputSeconds: 1,
  concurrency: 8,
  slowNodeDeadlineMs: 300,
  signatureSeconds: 0.3,
  peerRuns: { duckdb: 3, sqlite: 3 },
};

export const FULL: BenchPlan = {
  name: 'full',
  catalogueRows: [1_000_000, 10_000_000],
  fhirSpecimens: [100_000, 1_000_000],
  countRuns: 100,
  nodeWarmup: 300,
  federationNodes: [10, 50, 100],
  federationRuns: 100,
  federationWarmup: 30,
  donorsPerNode: 2_000,
  nodeProcesses: 2,
  isolatedNodes: 50,
  throughputNodes: 10,
  throughputSeconds: 10,
  concurrency: 16,
  slowNodeDeadlineMs: 1000,
  signatureSeconds: 2,
  peerRuns: { duckdb: 10, sqlite: 3 },
};

export interface BenchResults {
  plan: BenchPlan;
  machine: string;
  command: string;
  startedAt: string;
  catalogues: CatalogueBenchResult[];
  fhir: FhirBenchResult[];
  federation: FederationBenchResult[];
  /** The same latency with every node in a process of its own. */
  isolated: FederationBenchResult;
  throughput: ThroughputResult & { nodes: number; concurrency: number };
  slowNode: { nodes: number; deadlineMs: number; without: Timing; withSlow: Timing };
  signatures: { operation: string; perSecond: number }[];
}

export async function runBenchmarks(plan: BenchPlan, command: string, log: (line: string) => void = () => undefined): Promise<BenchResults> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-bench-'));
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  try {
    const catalogues: CatalogueBenchResult[] = [];
    for (const rows of plan.catalogueRows) catalogues.push(await benchCatalogue(work, rows, plan.countRuns, plan.nodeWarmup, plan.peerRuns, log));
    const fhir: FhirBenchResult[] = [];
    for (const specimens of plan.fhirSpecimens) fhir.push(await benchFhirImport(work, specimens, log));

    log(`federated latency over ${plan.isolatedNodes} nodes, one process each`);
    const isolatedBench = await startFederationBench(path.join(work, 'isolated'), plan.isolatedNodes, plan.donorsPerNode, plan.isolatedNodes, log);
    let isolated: FederationBenchResult;
    try {
      isolated = await isolatedBench.latency(plan.isolatedNodes, plan.federationRuns, plan.federationWarmup);
    } finally {
      await isolatedBench.stop();
    }

    const maxNodes = Math.max(...plan.federationNodes, plan.throughputNodes);
    const federation = await startFederationBench(work, maxNodes, plan.donorsPerNode, plan.nodeProcesses, log);
    try {
      const latencies: FederationBenchResult[] = [];
      for (const n of plan.federationNodes) {
        log(`federated latency over ${n} nodes`);
        latencies.push(await federation.latency(n, plan.federationRuns, plan.federationWarmup));
      }
      log(`throughput over ${plan.throughputNodes} nodes`);
      const throughput = await federation.throughput(plan.throughputNodes, plan.throughputSeconds, plan.concurrency);
      log('one silent node');
      const slow = await federation.slowNode(plan.throughputNodes, Math.min(20, plan.federationRuns), plan.slowNodeDeadlineMs);
      log('signatures');
      const signatures = await benchSignatures(plan.signatureSeconds);
      return {
        plan,
        machine,
        command,
        startedAt,
        catalogues,
        fhir,
        federation: latencies,
        isolated,
        throughput: { nodes: plan.throughputNodes, concurrency: plan.concurrency, ...throughput },
        slowNode: { nodes: plan.throughputNodes, deadlineMs: plan.slowNodeDeadlineMs, ...slow },
        signatures,
      };
    } finally {
      await federation.stop();
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** CPU milliseconds of the four signature operations one node answer takes. */
function ed25519MsPerAnswer(r: BenchResults): number {
  return r.signatures.reduce((sum, s) => sum + 1000 / s.perSecond, 0);
}

const meets = (ok: boolean) => (ok ? 'met' : '**missed**');

/** The markdown report written to docs/BENCHMARKS.md. */
export function renderReport(r: BenchResults): string {
  const lines: string[] = [
    '# Benchmarks',
    '',
    `Measured ${r.startedAt} with \`${r.command}\` (${r.plan.name} sizes) on ${r.machine}.`,
    'Every figure below comes from that one run, except a section that names its own; ratios compare figures of the same run.',
    '',
    '## Node: import and count latency',
    '',
    '| specimens | CSV import | rows/s | count index build at node start | node RSS after the counts (peak) |',
    '|---:|---:|---:|---:|---:|',
    ...r.catalogues.map(
      (c) =>
        `| ${c.rows.toLocaleString('en-US')} | ${c.importSeconds.toFixed(1)} s (${c.csvMB.toFixed(0)} MB) | ${Math.round(c.importRowsPerSecond).toLocaleString('en-US')} | ${c.indexBuildSeconds.toFixed(1)} s | ${c.nodeRss.rss.toFixed(0)} MiB (${c.nodeRss.peak.toFixed(0)} MiB) |`,
    ),
    '',
    'Count latency in ms (p50 / p99). "Catalogue" is the in-process count of true figures; "node RPC" is one signed',
    'question to the node in another process over loopback gRPC, answered whole: verify the signed query, execute, protect',
    '(default noise and rounding), sign the answer, write the audit log. "Stream" sends it on the `CountStream` the',
    'coordinator keeps open to each node; "unary" is a `Count` call of its own. Timed one question at a time, after the',
    `node has answered ${r.plan.nodeWarmup} questions (every shape in turn), as a node in service has. Before each timed`,
    'section the bench flushes the writes of the import (`sync`) and collects what the previous section closed, as neither',
    'weighs on a node in service.',
    '',
    '| specimens | query | catalogue p50 | catalogue p99 | node RPC, stream p50 | stream p99 | unary p50 | unary p99 |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  const fixedCosts: number[] = [];
  for (const c of r.catalogues) {
    c.catalogue.forEach((entry, i) => {
      const { timing: rpc, unary } = c.node[i]!;
      fixedCosts.push(rpc.p50 - entry.timing.p50);
      lines.push(
        `| ${c.rows.toLocaleString('en-US')} | ${entry.shape} | ${ms(entry.timing.p50)} | ${ms(entry.timing.p99)} | ${ms(rpc.p50)} | ${ms(rpc.p99)} | ${ms(unary.p50)} | ${ms(unary.p99)} |`,
      );
    });
  }
  lines.push(
    '',
    `Node RPC p50 over the stream minus catalogue p50, the node's fixed cost per question: ${ms(Math.min(...fixedCosts))} to ${ms(Math.max(...fixedCosts))} ms.`,
    '',
    ...fhirSection(r),
    ...capsAndPeers(r),
    ...alwaysAnswering(r),
    '## Federation through the coordinator',
    '',
    `Each node is its own gRPC server on 127.0.0.1 with its own port, keys, log and SQLite copy of a ${r.plan.donorsPerNode.toLocaleString('en-US')}-donor`,
    `catalogue. The nodes are served by ${r.plan.nodeProcesses} processes (round robin), one per core, because a deployed node has a machine of`,
    'its own; the last row puts every node in a process of its own instead, which adds the cost of scheduling that many',
    'processes on two cores. Latency is the REST call `POST /api/v1/count` end to end: authenticate, sign one query per',
    `node, fan out, verify every signed answer, merge, after ${r.plan.federationWarmup} warm-up questions. Each question differs, so nothing is answered from a cache.`,
    '',
    '| nodes | node processes | p50 ms | p99 ms | sites ok |',
    '|---:|---:|---:|---:|---:|',
    ...r.federation.map((f) => `| ${f.nodes} | ${Math.min(f.nodes, r.plan.nodeProcesses)} | ${ms(f.latency.p50)} | ${ms(f.latency.p99)} | ${f.sitesOk}/${f.nodes} |`),
    `| ${r.isolated.nodes} | ${r.isolated.nodes} | ${ms(r.isolated.latency.p50)} | ${ms(r.isolated.latency.p99)} | ${r.isolated.sitesOk}/${r.isolated.nodes} |`,
    '',
    `Throughput over ${r.throughput.nodes} nodes with ${r.throughput.concurrency} requests in flight: **${r.throughput.perSecond.toFixed(0)} federated queries/s**.`,
    `CPU per federated query: ${ms(r.throughput.coordinatorCpuMs)} ms in the coordinator's process (which also runs the benchmark's HTTP client)`,
    `and ${ms(r.throughput.nodesCpuMs)} ms in the node processes together, ${ms(r.throughput.nodesCpuMs / r.throughput.nodes)} ms per node answer.`,
    `${r.throughput.nodes} nodes make every question ${r.throughput.nodes} signed answers; Ed25519 alone (sign and verify the query, sign and verify`,
    `the answer, at the rates below) is ${ms(ed25519MsPerAnswer(r))} ms of CPU per answer, and 200 questions/s would leave`,
    `${ms((2 * 1000) / (200 * r.throughput.nodes))} ms of CPU per answer on two cores for the coordinator's and the node's work together.`,
    '',
    `One silent node (accepts TCP, never answers) added to ${r.slowNode.nodes} nodes, deadline ${r.slowNode.deadlineMs} ms:`,
    `p50 ${ms(r.slowNode.without.p50)} ms without it, ${ms(r.slowNode.withSlow.p50)} ms with it (p99 ${ms(r.slowNode.withSlow.p99)} ms): bounded by the deadline.`,
    '',
    '## Signatures (Ed25519, one core)',
    '',
    '| operation | per second |',
    '|---|---:|',
    ...r.signatures.map((s) => `| ${s.operation} | ${Math.round(s.perSecond).toLocaleString('en-US')} |`),
    '',
  );
  if (r.plan.name === 'full') lines.push(...targets(r));
  lines.push(...READING);
  return lines.join('\n') + '\n';
}

/** The FHIR import rows: rate and the importing process's peak memory, beside the CSV figures of the same run. */
function fhirSection(r: BenchResults): string[] {
  return r.fhir.length === 0 ? [] : renderFhirSection(r.fhir);
}

export const FHIR_SECTION_TITLE = '## FHIR import';

/**
 * The FHIR section; with `ownRun` (a run of `--fhir` alone) it names its own run,
 * as a section measured apart from the rest of the report must.
 */
export function renderFhirSection(results: readonly FhirBenchResult[], ownRun?: { command: string; machine: string; startedAt: string }): string[] {
  const slowest = Math.min(...results.map((f) => f.specimensPerSecond));
  return [
    FHIR_SECTION_TITLE,
    '',
    ...(ownRun ? [`Measured ${ownRun.startedAt} with \`${ownRun.command}\` on ${ownRun.machine}.`, ''] : []),
    'A bbmri.de Bundle (Organizations, Patients, Conditions, Consents, then Specimens) written from the synthetic',
    'catalogue and imported into an empty catalogue by a process of its own, as `biospec node import` does: two passes',
    'over the file on reading worker threads, the catalogue written on the main thread, commit included. Peak RSS is that',
    "process's VmHWM; CPU is the time of all its threads (the reading workers and V8's garbage collector helpers",
    'included), which depends less than the wall time on what else runs on the machine, and of its main thread alone',
    '(writing the catalogue; reading too for an export under 4 MiB); the load average is at the start of that import.',
    '',
    '| specimens | Bundle | import | specimens/s | CPU (all threads) | CPU (main thread) | peak RSS | load average |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (f) =>
        `| ${f.specimens.toLocaleString('en-US')} | ${f.bundleMB.toFixed(0)} MB | ${f.importSeconds.toFixed(1)} s | ${Math.round(f.specimensPerSecond).toLocaleString('en-US')} | ${f.cpuSeconds.toFixed(1)} s | ${f.mainCpuSeconds === null ? 'n/a' : `${f.mainCpuSeconds.toFixed(1)} s`} | ${f.peakRssMiB.toFixed(0)} MiB | ${f.loadAverage.toFixed(1)} |`,
    ),
    '',
    `Target: at least 60,000 specimens/s at the slower size: ${Math.round(slowest).toLocaleString('en-US')}, ${meets(slowest >= 60_000)}.`,
    '',
  ];
}

function capsAndPeers(r: BenchResults): string[] {
  const lines = [
    '## Per-donor caps, and the same questions in DuckDB and SQLite',
    '',
    `In process, p50 (p99) ms: the count index with the per-donor caps a node's policy will use (${JSON.stringify(BENCH_CAPS)}), `,
    'then the same questions without caps (caps off, so the three can be compared) answered by DuckDB (a table loaded from the',
    "same CSV, roots resolved within donors as the node does, a lookup table of each consent's permitted uses) and by",
    "plain indexed SQLite (the node's own compiled SQL with the count index off, on its worker thread). Their figures are",
    `compared in the run, question by question: ${r.catalogues.every((c) => c.peers.agree) ? 'all three gave the same figures for every question' : '**they differed** (see the log)'}.`,
    '',
    '| specimens | query | index, capped | index, uncapped | DuckDB | SQLite | DuckDB ÷ index | SQLite ÷ index |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of r.catalogues) {
    c.peers.shapes.forEach((peer, i) => {
      const capped = c.capped[i]!.timing;
      const plain = c.catalogue[i]!.timing;
      lines.push(
        `| ${c.rows.toLocaleString('en-US')} | ${peer.shape} | ${ms(capped.p50)} (${ms(capped.p99)}) | ${ms(plain.p50)} (${ms(plain.p99)}) | ${ms(peer.duckdb.p50)} | ${ms(peer.sqlite.p50)} | ${Math.round(peer.duckdb.p50 / plain.p50).toLocaleString('en-US')}× | ${Math.round(peer.sqlite.p50 / plain.p50).toLocaleString('en-US')}× |`,
      );
    });
  }
  lines.push('', ...r.catalogues.map((c) => `- ${c.rows.toLocaleString('en-US')} specimens: DuckDB loaded the CSV in ${c.peers.duckdbLoadSeconds.toFixed(1)} s; figures agree: ${c.peers.agree ? 'yes' : '**no**'}.`), '');
  return lines;
}

function alwaysAnswering(r: BenchResults): string[] {
  const lines = [
    '## Always answering: starts and an update import under questions',
    '',
    'The node in its own process, asked one question every 50 ms (20 a second, every shape in turn, each with a 5 s',
    'deadline). Cold: started without its persisted count index (it builds one on its worker thread); warm: started',
    'with it (read back and checked). Update: `biospec node import` of the whole catalogue again with every 7th specimen',
    'reserved, in a process of its own as an operator runs it, until the node answers at the new epoch. "First answer" is',
    'from process start to the first answered question (at 1M rows and more, from the index: SQL answers only up to',
    '100,000 rows). Event-loop delay is measured inside the node (5 ms resolution).',
    '',
    '| specimens | window | seconds | first answer | questions | answered | warming up | missed | latency p50 / p99 ms | event-loop delay p99 / max ms |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of r.catalogues) {
    const a = c.always;
    const row = (name: string, w: LoadWindow, first: string) =>
      `| ${c.rows.toLocaleString('en-US')} | ${name} | ${w.seconds.toFixed(1)} | ${first} | ${w.questions} | ${w.answered} | ${w.warmingUp} | ${w.missed} | ${ms(w.latencyP50)} / ${ms(w.latencyP99)} | ${ms(w.loopDelayP99)} / ${ms(w.loopDelayMax)} |`;
    lines.push(row('cold start', a.cold, `${a.coldStartSeconds.toFixed(1)} s`), row('warm start', a.warm, `${a.warmStartSeconds.toFixed(1)} s`));
    lines.push(row(`update import (${a.importSeconds.toFixed(0)} s), switch ${a.switchSeconds.toFixed(1)} s after it`, a.update, '—'));
  }
  return [...lines, ''];
}

/** Puts the FHIR section into an existing report: replaces an earlier one, or goes before the federation section (or at the end). */
export function spliceFhirSection(report: string, section: string): string {
  const start = report.indexOf(FHIR_SECTION_TITLE);
  if (start >= 0) {
    const next = report.indexOf('\n## ', start + FHIR_SECTION_TITLE.length);
    return report.slice(0, start) + section + (next >= 0 ? '\n' + report.slice(next + 1) : '');
  }
  const federation = report.indexOf('## Federation through the coordinator');
  if (federation >= 0) return report.slice(0, federation) + section + '\n' + report.slice(federation);
  return report.replace(/\n*$/, '\n\n') + section;
}

/** What limits each figure; true of the design whatever a run measures. */
const READING = [
  '## Reading these figures',
  '',
  '- **Federation on one machine.** A deployed node has a machine of its own and answers in parallel with the',
  '  others. Here every node shares two cores with the coordinator, so a question to N nodes costs N nodes\' work',
  '  (verify, count, protect, sign, audit, a gRPC call each way) on the same two cores, and latency grows linearly',
  '  with N. Serving the nodes from one process per core measures that work; one process per node adds the cost',
  '  of switching between that many processes on two cores (compare the rows with the same number of nodes).',
  '  In a deployment only the coordinator\'s share (a signed token per node, the gRPC client, verifying each',
  '  answer) adds up per node.',
  '- **Node RPC versus catalogue.** The difference between the two columns is the node\'s fixed cost per question',
  '  (its range in this run is given under the table). It is the answer path (verify the signed query, the replay cache,',
  '  the rate limit and the budget, protect, sign, audit: two Ed25519 operations and SQLite commits to three files), a gRPC',
  '  message each way (a unary call costs more than a message on an open stream, `docs/PROTOCOL.md`, CountStream) and',
  '  waking the node\'s process.',
  '- **Count index.** Counts come from the in-memory index (`packages/count-index/COUNT-INDEX.md`). A question made only',
  '  of categorical tests (`in`, `consent_permits`, and/or/not) with strata of material, sex or storage temperature is',
  '  answered from pre-aggregated profiles: each distinct set of row keys (uses, material, sex, temperature, status,',
  '  collection) a specimen has, with how many specimens have it, about 26 thousand sets for 3 million specimens at 10M.',
  '  Its time depends on that number, not on the rows. Donors are too varied for such a table and use the rows.',
  '  Specimen questions that AND such tests with age ranges are answered from the same profiles split by age (a',
  '  specimen whose rows share one age is filed under (profile, age)), as long as few specimens mix ages.',
  '  Every other question is answered from the rows: selective and broad questions touch bitmaps word by word. The',
  '  rows of an age range and of an ICD-10 code with its descendants are kept as bitmaps for the ranges and codes',
  '  asked recently (8 ranges, 32 code sets); a range not among them costs one pass over the ages first (the',
  '  "another age range each time" question measures that). A stratified question on the rows visits one bit per',
  '  stretch of rows of one specimen (or donor) in one stratum that holds a match.',
  '- **Node memory.** "After the counts" is the node serving, with its count index (about 310 MiB of typed arrays at',
  '  10M) and its caches. Its start-up peak (VmHWM) now depends on whether it read its persisted index (one buffer',
  '  of the file\'s size) or built one on its worker thread (the build\'s garbage is the worker\'s).',
  '- **Connect-out.** A node\'s link carries the same signed queries and answers as a CountStream, one HTTP/2 stream',
  '  per node either way; what it adds is the challenge once per connection (one signature by the node, one verification',
  '  by the coordinator) and the node\'s own keepalive pings. Differences smaller than the spread between rounds of the',
  '  same way are noise from the shared machine.',
  '- **National scale.** Every question costs each node one verified query and one signed answer, and the coordinator one',
  '  signed query and one verified answer per node, so CPU per question grows linearly with the nodes on both sides and,',
  '  with every node on the same two cores, latency follows the total (the "all CPU ÷ cores" column). The coordinator\'s',
  '  share per answer goes first to verifying the answer (Ed25519, then decoding its JSON), then to signing the query and to answering the researcher with',
  '  every site\'s signed result; a stratified answer carries each of its cells twice (in the site\'s strata and inside its',
  '  signed result), hence the REST answer size. The merge of the cells is by position, a small part at any size.',
  '- **Import.** A CSV import runs on a worker thread (its SQLite writes, index rebuild and commit set the pace), and',
  '  large files are tokenised and validated on a second one (`packages/catalogue/IMPORT.md`).',
  '- **Always answering.** Count-index builds run on a worker thread; the index is persisted next to the catalogue and',
  '  read back at start; after an import the old index answers for its own epoch until the new one is ready; with no',
  '  index, a catalogue of more than 100,000 rows answers UNAVAILABLE "count index warming up" at once',
  '  (`packages/count-index/COUNT-INDEX.md`). The node keeps both indexes in memory while it switches.',
  '',
];

function targets(r: BenchResults): string[] {
  const ten = r.catalogues.find((c) => c.rows >= 9_000_000);
  const fifty = r.federation.find((f) => f.nodes === 50);
  const hundred = r.federation.find((f) => f.nodes === 100);
  const rows: string[] = ['## Targets (issue: performance and scale)', '', '| target | measured | |', '|---|---|---|'];
  if (ten) {
    ten.catalogue.forEach((entry, i) => {
      const rpc = ten.node[i]!.timing.p50;
      rows.push(`| node count over 10M, p50 ≤ 5 ms, ${entry.shape}: the count itself | ${ms(entry.timing.p50)} ms | ${meets(entry.timing.p50 <= 5)} |`);
      rows.push(`| the same through the signed node RPC (CountStream, as the coordinator asks) | ${ms(rpc)} ms | ${meets(rpc <= 5)} |`);
    });
    // The target is in MB (10^6 bytes); /proc reports KiB, shown here as MiB.
    const megabytes = (mebibytes: number) => (mebibytes * 2 ** 20) / 1e6;
    const { rss, peak } = ten.nodeRss;
    ten.capped.forEach((entry) => {
      rows.push(`| node count over 10M with per-donor caps, p50 ≤ 5 ms, ${entry.shape} | ${ms(entry.timing.p50)} ms | ${meets(entry.timing.p50 <= 5)} |`);
    });
    const a = ten.always;
    rows.push(`| first indexed answer ≤ 5 s after start, with the persisted index | ${a.warmStartSeconds.toFixed(1)} s | ${meets(a.warmStartSeconds <= 5)} |`);
    rows.push(`| event-loop delay p99 ≤ 50 ms through an update import (20 questions/s) | ${ms(a.update.loopDelayP99)} ms | ${meets(a.update.loopDelayP99 <= 50)} |`);
    rows.push(`| no question misses its 5 s deadline through an update import | ${a.update.missed} of ${a.update.questions} | ${meets(a.update.missed === 0)} |`);
    rows.push(`| the count index, DuckDB and SQLite give the same figures | ${ten.peers.agree ? 'same' : 'different'} | ${meets(ten.peers.agree)} |`);
    rows.push(`| node RSS ≤ 500 MB with 10M, serving (after the counts) | ${megabytes(rss).toFixed(0)} MB (${rss.toFixed(0)} MiB) | ${meets(megabytes(rss) <= 500)} |`);
    rows.push(`| the same at its peak since start (VmHWM) | ${megabytes(peak).toFixed(0)} MB (${peak.toFixed(0)} MiB) | ${meets(megabytes(peak) <= 500)} |`);
  }
  const slowest = Math.min(...r.catalogues.map((c) => c.importRowsPerSecond));
  rows.push(`| CSV import ≥ 200,000 specimens/s (the slower size) | ${Math.round(slowest).toLocaleString('en-US')} | ${meets(slowest >= 200_000)} |`);
  if (r.fhir.length > 0) {
    const fhirSlowest = Math.min(...r.fhir.map((f) => f.specimensPerSecond));
    rows.push(`| FHIR import of bbmri.de Bundles ≥ 60,000 specimens/s (the slower size) | ${Math.round(fhirSlowest).toLocaleString('en-US')} | ${meets(fhirSlowest >= 60_000)} |`);
  }
  if (fifty) rows.push(`| 50 nodes p50 ≤ 100 ms | ${ms(fifty.latency.p50)} ms | ${meets(fifty.latency.p50 <= 100)} |`);
  if (hundred) rows.push(`| 100 nodes p50 ≤ 250 ms | ${ms(hundred.latency.p50)} ms | ${meets(hundred.latency.p50 <= 250)} |`);
  rows.push(`| ≥ 200 federated queries/s over 10 nodes | ${r.throughput.perSecond.toFixed(0)} | ${meets(r.throughput.perSecond >= 200)} |`);
  return [...rows, ''];
}
