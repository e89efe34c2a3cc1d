import fs from 'node:fs';
import path from 'node:path';
import { startCoordinatorProcess, type CoordinatorProcess } from './coordinator-process.js';
import { createBenchCoordinator, startLightNodes } from './light-nodes.js';
import { loadAverage, processCpuMs } from './machine.js';
import { ms, summarise, type Timing } from './stats.js';
import { freePortOnLoopback } from './ports.js';

/** Sizes of the connect-out benchmark. */
export interface ConnectPlan {
  nodes: number;
  donors: number;
  processes: number;
  /** Latency is measured in rounds, direct and connect-out in turn, so a change of load touches both alike. */
  rounds: number;
  runsPerRound: number;
  warmup: number;
  throughputRounds: number;
  throughputSeconds: number;
  concurrency: number;
}

export const CONNECT_FULL: ConnectPlan = { nodes: 10, donors: 2000, processes: 2, rounds: 6, runsPerRound: 25, warmup: 20, throughputRounds: 2, throughputSeconds: 5, concurrency: 16 };
export const CONNECT_QUICK: ConnectPlan = { nodes: 2, donors: 60, processes: 1, rounds: 2, runsPerRound: 3, warmup: 2, throughputRounds: 1, throughputSeconds: 0.5, concurrency: 4 };

export interface ConnectModeResult {
  latency: Timing;
  /** The median of each round, in ms: how much the figures move between rounds of the same way. */
  roundP50s: number[];
  sitesOk: number;
  /** CPU per node answer while questions were asked one at a time, in ms: the coordinator's process, and the node processes. */
  coordinatorCpuMsPerAnswer: number;
  nodesCpuMsPerAnswer: number;
  /** Federated questions per second with `concurrency` in flight, and the CPU per node answer then. */
  perSecond: number;
  throughputCoordinatorCpuMsPerAnswer: number;
  throughputNodesCpuMsPerAnswer: number;
}

export interface ConnectResults {
  plan: ConnectPlan;
  direct: ConnectModeResult;
  connectOut: ConnectModeResult;
  loadAfter: string;
}

interface Tally {
  samples: number[];
  roundP50s: number[];
  coordinatorCpu: number;
  nodesCpu: number;
  questions: number;
  sitesOk: number;
  throughputDone: number;
  throughputSeconds: number;
  throughputCoordinatorCpu: number;
  throughputNodesCpu: number;
}

/**
 * The same nodes asked two ways in one run: each node listens and also connects out. One
 * coordinator (in its own process) asks them at their addresses over CountStream, the other (in
 * its own process, with the first one's keys) over the links the nodes dialled. The difference is
 * what connect-out adds, in latency and in CPU on either side.
 */
export async function benchConnect(workDir: string, plan: ConnectPlan, log: (line: string) => void = () => undefined): Promise<ConnectResults> {
  const dir = path.join(workDir, 'connect');
  const direct = await createBenchCoordinator(path.join(dir, 'direct'));
  const connectAt = `127.0.0.1:${await freePortOnLoopback()}`;
  const linked = await createBenchCoordinator(path.join(dir, 'connect-out'), { nodeConnectListen: connectAt, sameKeysAs: direct.dir });
  const nodes = await startLightNodes(path.join(dir, 'nodes'), {
    count: plan.nodes,
    donors: plan.donors,
    processes: plan.processes,
    coordinatorJwks: direct.jwks,
    connectOut: connectAt,
    log,
  });
  direct.setMembers(nodes.ids.map((id) => ({ id, endpoint: nodes.addresses.get(id)!, jwks: nodes.jwks.get(id)! })));
  linked.setMembers(nodes.ids.map((id) => ({ id, endpoint: 'connect-out', jwks: nodes.jwks.get(id)! })));
  const running: CoordinatorProcess[] = [];
  try {
    const coordinators = { direct: await startCoordinatorProcess(direct.dir, direct.token), connectOut: await startCoordinatorProcess(linked.dir, linked.token) };
    running.push(coordinators.direct, coordinators.connectOut);
    let question = 0;
    const ask = (c: CoordinatorProcess) =>
      c.count({ query: { unit: 'specimens', where: { op: 'age_range', min: 18 + (question++ % 60) } }, purpose: 'DUO:0000006', project: 'bench', deadlineMs: 30_000 });
    log('waiting for every node to connect out');
    const until = Date.now() + 60_000;
    while ((await ask(coordinators.connectOut)).sites.some((s) => s.status !== 'SITE_STATUS_OK')) {
      if (Date.now() > until) throw new Error('the nodes did not all connect out within a minute');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const nodesCpu = () => nodes.hosts.reduce((sum, h) => sum + processCpuMs(h.pid), 0);
    const tally = (): Tally => ({ samples: [], roundP50s: [], coordinatorCpu: 0, nodesCpu: 0, questions: 0, sitesOk: 0, throughputDone: 0, throughputSeconds: 0, throughputCoordinatorCpu: 0, throughputNodesCpu: 0 });
    const tallies = { direct: tally(), connectOut: tally() };
    const modes = ['direct', 'connectOut'] as const;
    for (const mode of modes) for (let i = 0; i < plan.warmup; i++) await ask(coordinators[mode]);

    for (let round = 0; round < plan.rounds; round++) {
      // Each round starts with the other mode, so neither always follows the other.
      for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
        log(`latency, round ${round + 1} of ${plan.rounds}: ${mode}`);
        const t = tallies[mode];
        const coordinator = coordinators[mode];
        const cpuBefore = processCpuMs(coordinator.pid);
        const nodesBefore = nodesCpu();
        const samples: number[] = [];
        for (let i = 0; i < plan.runsPerRound; i++) {
          const started = performance.now();
          const answer = await ask(coordinator);
          samples.push(performance.now() - started);
          t.sitesOk = answer.sites.filter((s) => s.status === 'SITE_STATUS_OK').length;
        }
        t.samples.push(...samples);
        t.roundP50s.push(summarise(samples).p50);
        t.coordinatorCpu += processCpuMs(coordinator.pid) - cpuBefore;
        t.nodesCpu += nodesCpu() - nodesBefore;
        t.questions += plan.runsPerRound;
      }
    }
    for (let round = 0; round < plan.throughputRounds; round++) {
      for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
        log(`throughput, round ${round + 1} of ${plan.throughputRounds}: ${mode}`);
        const t = tallies[mode];
        const coordinator = coordinators[mode];
        const cpuBefore = processCpuMs(coordinator.pid);
        const nodesBefore = nodesCpu();
        const started = performance.now();
        const end = started + plan.throughputSeconds * 1000;
        await Promise.all(
          Array.from({ length: plan.concurrency }, async () => {
            while (performance.now() < end) {
              await ask(coordinator);
              t.throughputDone += 1;
            }
          }),
        );
        t.throughputSeconds += (performance.now() - started) / 1000;
        t.throughputCoordinatorCpu += processCpuMs(coordinator.pid) - cpuBefore;
        t.throughputNodesCpu += nodesCpu() - nodesBefore;
      }
    }
    const result = (t: Tally): ConnectModeResult => {
      const answers = t.questions * plan.nodes;
      const throughputAnswers = t.throughputDone * plan.nodes;
      return {
        latency: summarise(t.samples),
        roundP50s: t.roundP50s,
        sitesOk: t.sitesOk,
        coordinatorCpuMsPerAnswer: t.coordinatorCpu / answers,
        nodesCpuMsPerAnswer: t.nodesCpu / answers,
        perSecond: t.throughputDone / t.throughputSeconds,
        throughputCoordinatorCpuMsPerAnswer: t.throughputCoordinatorCpu / throughputAnswers,
        throughputNodesCpuMsPerAnswer: t.throughputNodesCpu / throughputAnswers,
      };
    };
    return { plan, direct: result(tallies.direct), connectOut: result(tallies.connectOut), loadAfter: loadAverage() };
  } finally {
    await Promise.all(running.map((c) => c.stop()));
    await nodes.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const CONNECT_SECTION_TITLE = '## Connect-out versus direct';

export function renderConnectSection(r: ConnectResults, context: { command: string; machine: string; startedAt: string }): string {
  const { direct: d, connectOut: c, plan } = r;
  const row = (name: string, m: ConnectModeResult) =>
    `| ${name} | ${ms(m.latency.p50)} | ${ms(m.latency.p99)} | ${m.sitesOk}/${plan.nodes} | ${ms(m.coordinatorCpuMsPerAnswer)} | ${ms(m.nodesCpuMsPerAnswer)} | ${m.perSecond.toFixed(0)} | ${ms(m.throughputCoordinatorCpuMsPerAnswer)} | ${ms(m.throughputNodesCpuMsPerAnswer)} |`;
  const spread = (m: ConnectModeResult) => `${ms(Math.min(...m.roundP50s))}–${ms(Math.max(...m.roundP50s))}`;
  const signed = (x: number) => (Math.abs(x) < 0.005 ? '±0.00' : `${x > 0 ? '+' : '−'}${ms(Math.abs(x))}`);
  return [
    CONNECT_SECTION_TITLE,
    '',
    `Measured ${context.startedAt} with \`${context.command}\` on ${context.machine}; load average ${r.loadAfter} when this section's run ended (other work shares the machine).`,
    '',
    `The same ${plan.nodes} nodes asked both ways in one run: each node listens on 127.0.0.1 and also connects out. Two coordinators,`,
    'each in its own process and with the same keys, ask them: one at their addresses over the CountStream it keeps open to',
    "each, the other over the links the nodes dialled to it (the challenge answered once, at connection). The nodes are light",
    `(their own keys, state and audit log, one shared catalogue file of ${plan.donors.toLocaleString('en-US')} donors) and served by ${plan.processes} process${plan.processes === 1 ? '' : 'es'}.`,
    `Latency is \`POST /api/v1/count\` end to end, one question at a time, ${plan.rounds} rounds of ${plan.runsPerRound} questions per way, the ways taking`,
    `turns; then ${plan.throughputRounds} round${plan.throughputRounds === 1 ? '' : 's'} of ${plan.throughputSeconds} s per way with ${plan.concurrency} questions in flight. CPU is each process's own (/proc), per node answer.`,
    '',
    '| way | p50 ms | p99 ms | sites ok | coordinator CPU per answer ms | nodes CPU per answer ms | questions/s at ' + plan.concurrency + ' in flight | coordinator CPU per answer then | nodes CPU per answer then |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    row('direct (CountStream to the node)', d),
    row('connect-out (the node\'s link)', c),
    '',
    `Connect-out adds ${signed(c.latency.p50 - d.latency.p50)} ms at p50 (${signed(c.latency.p99 - d.latency.p99)} ms at p99), ${signed(c.coordinatorCpuMsPerAnswer - d.coordinatorCpuMsPerAnswer)} ms of coordinator CPU and`,
    `${signed(c.nodesCpuMsPerAnswer - d.nodesCpuMsPerAnswer)} ms of node CPU per answer one question at a time, and ${signed(c.throughputCoordinatorCpuMsPerAnswer - d.throughputCoordinatorCpuMsPerAnswer)} / ${signed(c.throughputNodesCpuMsPerAnswer - d.throughputNodesCpuMsPerAnswer)} ms under load.`,
    `The medians of single rounds ranged over ${spread(d)} ms direct and ${spread(c)} ms connect-out: a difference within that spread is noise.`,
    'Both ways carry the same signed messages, one HTTP/2 stream per node.',
    '',
  ].join('\n');
}
