import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Query } from '@biospec/query';
import { startCoordinatorProcess } from './coordinator-process.js';
import { createBenchCoordinator, startLightNodes } from './light-nodes.js';
import { loadAverage, processCpuMs, residentMemory } from './machine.js';
import { ms, summarise, type Timing } from './stats.js';

/** Sizes of the national-scale benchmark. */
export interface ScalePlan {
  nodes: number[];
  runs: number;
  warmup: number;
  donors: number;
  processes: number;
}

export const SCALE_FULL: ScalePlan = { nodes: [50, 200, 1000], runs: 30, warmup: 5, donors: 300, processes: 2 };
export const SCALE_QUICK: ScalePlan = { nodes: [3, 6], runs: 3, warmup: 1, donors: 40, processes: 2 };

/** The two questions: a plain count, and one whose every answer lists all 60 strata cells (docs/PRIVACY.md). */
const QUESTIONS: { name: string; query: (run: number) => Query }[] = [
  { name: 'plain', query: (run) => ({ unit: 'specimens', where: { op: 'age_range', min: 18 + (run % 50) } }) },
  {
    name: 'stratified (material x sex, 60 cells)',
    query: (run) => ({
      unit: 'specimens',
      where: { op: 'and', args: [{ op: 'consent_permits', use: 'DUO:0000042' }, { op: 'age_range', min: 18 + (run % 50) }] },
      stratify: ['material_type', 'sex'],
    }),
  },
];

export interface ScaleRow {
  nodes: number;
  question: string;
  latency: Timing;
  sitesOk: number;
  /** CPU of the coordinator's process per federated question, in ms. */
  coordinatorCpuMs: number;
  /** CPU of every node process together per federated question, in ms. */
  nodesCpuMs: number;
  /** The coordinator's resident memory after these questions, and its peak since it started, in MiB. */
  coordinatorRss: { rss: number; peak: number };
  /** Size of the REST answer the researcher receives, in bytes. */
  answerBytes: number;
}

export interface ScaleResults {
  plan: ScalePlan;
  /** Cores of the machine, shared by the coordinator and every node process. */
  cores: number;
  rows: ScaleRow[];
  loadAfter: string;
}

/**
 * A signed federated question over 50 to 1,000 nodes through the coordinator's REST API, the
 * coordinator in a process of its own (`biospec coordinator start`), so its CPU and memory are its
 * own; the nodes are light (see light-nodes.ts) and answer over CountStream as deployed.
 */
export async function benchScale(workDir: string, plan: ScalePlan, log: (line: string) => void = () => undefined): Promise<ScaleResults> {
  const dir = path.join(workDir, 'scale');
  const coordinator = await createBenchCoordinator(path.join(dir, 'coordinator'));
  const max = Math.max(...plan.nodes);
  const nodes = await startLightNodes(path.join(dir, 'nodes'), { count: max, donors: plan.donors, processes: plan.processes, coordinatorJwks: coordinator.jwks, log });
  const rows: ScaleRow[] = [];
  let question = 0;
  try {
    for (const count of plan.nodes) {
      const members = nodes.ids.slice(0, count).map((id) => ({ id, endpoint: nodes.addresses.get(id)!, jwks: nodes.jwks.get(id)! }));
      coordinator.setMembers(members);
      const running = await startCoordinatorProcess(coordinator.dir, coordinator.token);
      try {
        for (const shape of QUESTIONS) {
          log(`${count} nodes: ${shape.name}`);
          const ask = () => running.count({ query: shape.query(question++), purpose: 'DUO:0000006', project: 'bench', deadlineMs: 60_000 });
          for (let i = 0; i < plan.warmup; i++) await ask();
          const samples: number[] = [];
          let last: Awaited<ReturnType<typeof ask>> | undefined;
          let answerBytes = 0;
          const coordinatorBefore = processCpuMs(running.pid);
          const nodesBefore = nodes.hosts.reduce((sum, h) => sum + processCpuMs(h.pid), 0);
          for (let i = 0; i < plan.runs; i++) {
            const started = performance.now();
            last = await ask();
            samples.push(performance.now() - started);
          }
          const coordinatorCpuMs = (processCpuMs(running.pid) - coordinatorBefore) / plan.runs;
          const nodesCpuMs = (nodes.hosts.reduce((sum, h) => sum + processCpuMs(h.pid), 0) - nodesBefore) / plan.runs;
          answerBytes = Buffer.byteLength(JSON.stringify(last));
          rows.push({
            nodes: count,
            question: shape.name,
            latency: summarise(samples),
            sitesOk: last!.sites.filter((s) => s.status === 'SITE_STATUS_OK').length,
            coordinatorCpuMs,
            nodesCpuMs,
            coordinatorRss: residentMemory(running.pid),
            answerBytes,
          });
        }
      } finally {
        await running.stop();
      }
    }
  } finally {
    await nodes.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { plan, cores: os.cpus().length, rows, loadAfter: loadAverage() };
}

export const SCALE_SECTION_TITLE = '## Federation at national scale';

/** The section of docs/BENCHMARKS.md, for the run described by `context`. */
export function renderScaleSection(r: ScaleResults, context: { command: string; machine: string; startedAt: string }): string {
  const first = (question: string) => r.rows.find((row) => row.question === question)!;
  const lines = [
    SCALE_SECTION_TITLE,
    '',
    `Measured ${context.startedAt} with \`${context.command}\` on ${context.machine}; load average ${r.loadAfter} when this section's run ended (other work shares the machine).`,
    '',
    `Each node is light: its own folder, Ed25519 key, noise secret, replay cache, audit log, gRPC server on 127.0.0.1 and`,
    `log file, answering through the whole node path (verify, admit, count, protect, sign, audit) over the CountStream the`,
    `coordinator keeps open to it; all nodes read one shared catalogue file of ${r.plan.donors} donors (each builds its own count`,
    `index of it) and are served by ${r.plan.processes} processes. The coordinator runs alone in its own process (\`biospec coordinator start\`),`,
    `so its CPU and memory are its own; the question is the REST call \`POST /api/v1/count\` end to end (authenticate, sign one query`,
    `per node, fan out, verify every signed answer, merge, answer with every site's signed result), one at a time, ${r.plan.runs} times`,
    `after ${r.plan.warmup} warm-up questions, each question different. Every node process and the coordinator share the same ${r.cores} cores:`,
    `"all CPU ÷ ${r.cores}" is the coordinator's and the nodes' CPU per question spread over them, the least time a question can take here.`,
    '',
    `| nodes | question | p50 ms | p99 ms | sites ok | coordinator CPU per question ms | per node answer ms | nodes CPU per answer ms | all CPU ÷ ${r.cores} ms | coordinator RSS MiB (peak) | REST answer |`,
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map(
      (row) =>
        `| ${row.nodes} | ${row.question} | ${ms(row.latency.p50)} | ${ms(row.latency.p99)} | ${row.sitesOk}/${row.nodes} | ${ms(row.coordinatorCpuMs)} | ${ms(row.coordinatorCpuMs / row.nodes)} | ${ms(row.nodesCpuMs / row.nodes)} | ${ms((row.coordinatorCpuMs + row.nodesCpuMs) / r.cores)} | ${row.coordinatorRss.rss.toFixed(0)} (${row.coordinatorRss.peak.toFixed(0)}) | ${row.answerBytes >= 1e6 ? `${(row.answerBytes / 1e6).toFixed(1)} MB` : `${(row.answerBytes / 1e3).toFixed(0)} kB`} |`,
    ),
    '',
  ];
  const smallest = Math.min(...r.plan.nodes);
  const largest = Math.max(...r.plan.nodes);
  if (smallest !== largest) {
    lines.push(`Growth from ${smallest} to ${largest} nodes (${largest / smallest}× the nodes):`, '');
    for (const q of QUESTIONS) {
      const a = r.rows.find((row) => row.question === q.name && row.nodes === smallest);
      const b = r.rows.find((row) => row.question === q.name && row.nodes === largest);
      if (!a || !b) continue;
      lines.push(
        `- ${q.name}: p50 ×${(b.latency.p50 / a.latency.p50).toFixed(1)}, coordinator CPU per question ×${(b.coordinatorCpuMs / a.coordinatorCpuMs).toFixed(1)}, coordinator RSS ×${(b.coordinatorRss.rss / a.coordinatorRss.rss).toFixed(1)} (${a.coordinatorRss.rss.toFixed(0)} → ${b.coordinatorRss.rss.toFixed(0)} MiB).`,
      );
    }
    lines.push('');
  }
  const target = r.rows.find((row) => row.nodes === 1000 && row.question === first('plain').question);
  if (target) {
    lines.push(
      `Target: 1,000 nodes p50 ≤ 250 ms on this machine: ${ms(target.latency.p50)} ms for the plain question, ${target.latency.p50 <= 250 ? 'met' : '**missed**'}.`,
      `Here a question to 1,000 nodes costs ${ms(target.nodesCpuMs)} ms of CPU in the nodes and ${ms(target.coordinatorCpuMs)} ms in the coordinator, on ${r.cores} cores: at least`,
      `${ms((target.nodesCpuMs + target.coordinatorCpuMs) / r.cores)} ms however the work is arranged, and the nodes' share alone is ${ms(target.nodesCpuMs / r.cores)} ms. With every node on a machine`,
      `of its own, the coordinator's ${ms(target.coordinatorCpuMs)} ms of CPU on its one event loop would be the floor instead.`,
      '',
    );
  }
  return lines.join('\n');
}
