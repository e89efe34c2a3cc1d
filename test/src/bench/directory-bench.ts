import { createLibp2pDirectory, type DescriptorInput, type Libp2pDirectory, type PublicJwk } from '@biospec/directory';
import { generateSigningKey, importSigningKey, type SigningKey } from '@biospec/trust';
import { ms, summarise, type Timing } from './stats.js';

/** Sizes of the directory benchmark: networks of these many peers, this many changes timed on each. */
export interface DirectoryBenchPlan {
  name: 'quick' | 'full';
  peers: number[];
  changes: number;
}

export const DIRECTORY_QUICK: DirectoryBenchPlan = { name: 'quick', peers: [5], changes: 3 };
export const DIRECTORY_FULL: DirectoryBenchPlan = { name: 'full', peers: [5, 20, 50], changes: 9 };

export interface DirectoryBenchResult {
  peers: number;
  /** From the first peer starting to every peer holding every peer's descriptor. */
  convergeMs: number;
  /** From `publish` of a changed descriptor to the last other peer's `change` event, one sample per change. */
  propagation: Timing;
  samples: number[];
  /** Process CPU per change beyond the idle rate, divided by the peers: what one peer spends receiving, checking and passing on one descriptor. */
  cpuMsPerPeerPerChange: number;
  /** Process CPU of the settled network doing nothing, per peer and second. */
  idleCpuMsPerPeerPerSecond: number;
}

export const DIRECTORY_SECTION_TITLE = '## Directory: descriptor propagation';

async function signingKey(): Promise<SigningKey> {
  return importSigningKey((await generateSigningKey()).privateJwk);
}

function descriptorOf(index: number, key: SigningKey, dataEpoch: number): DescriptorInput {
  return {
    nodeId: `bench-${index}`,
    name: `Bench biobank ${index}`,
    institution: 'Benchmark',
    endpoint: `bench-${index}.example.org:50051`,
    jwks: { keys: [key.publicJwk as PublicJwk] },
    software: { name: 'biospec', version: 'bench' },
    policy: { text: 'counts under 10 shown as <10; Laplace noise ε=0.5; rounded to 10', threshold: 10, rounding: 10, noise: 'laplace', release: 'auto' },
    catalogue: { donors: { value: 1000, display: 'about 1000 donors (noisy, Laplace ε=0.01, rounded to 100)' }, materialTypes: ['serum', 'tissue-ffpe'], epoch: dataEpoch },
    dataEpoch,
  };
}

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`directory bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * One network of `size` libp2p peers on 127.0.0.1, all in this process: every peer bootstraps
 * from the first three and then dials peers named in descriptors, as deployed peers do. Each timed
 * change is a new data epoch of one peer (in turn), published when the previous one has reached everyone.
 */
async function benchNetwork(size: number, changes: number, log: (line: string) => void): Promise<DirectoryBenchResult> {
  const keys = await Promise.all(Array.from({ length: size }, () => signingKey()));
  // Re-announcements would interleave with the timed changes; the bench announces by hand instead.
  const timings = { refreshIntervalMs: 3_600_000, staleAfterMs: 7_200_000 };
  const started = performance.now();
  // The first three peers are the network's bootstrap peers (as a coordinator and a few well-known nodes would be).
  const directories: Libp2pDirectory[] = [];
  const bootstrap: string[] = [];
  const epochs: number[] = [];
  try {
    for (let i = 0; i < Math.min(3, size); i++) {
      directories.push(await createLibp2pDirectory({ ...timings, bootstrap: [...bootstrap], dialIntervalMs: 500 }));
      bootstrap.push(directories[i]!.addresses()[0]!);
    }
    // The rest five at a time, each batch connected before the next: in one process, every Noise handshake of a crowd
    // arriving at once would queue behind the others past the dial timeout.
    while (directories.length < size) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(5, size - directories.length) }, () => createLibp2pDirectory({ ...timings, bootstrap, dialIntervalMs: 500 })),
      );
      directories.push(...batch);
      await until('a batch of peers to connect', () => batch.every((d) => d.connectedPeers().length > 0), 60_000);
    }
    directories.forEach(() => epochs.push(1));
    const announce = (i: number) => directories[i]!.publish(descriptorOf(i, keys[i]!, epochs[i]!), keys[i]!);
    await Promise.all(directories.map((_, i) => announce(i)));
    // Announce again whoever is still missing somewhere (the first announcements go out before the mesh exists).
    const missingSomewhere = () => directories.map((_, i) => i).filter((i) => directories.some((d) => d.get(`bench-${i}`) === undefined));
    while (missingSomewhere().length > 0) {
      await until('convergence', () => missingSomewhere().length === 0, 5000).catch(async () => {
        await Promise.all(missingSomewhere().map(announce));
      });
      if (performance.now() - started > 300_000) throw new Error(`directory bench: ${size} peers did not converge in 300 s`);
    }
    const convergeMs = performance.now() - started;
    log(`directory: ${size} peers converged in ${(convergeMs / 1000).toFixed(1)} s`);
    // Time changes on a settled network: no connection still being made (each new one syncs both directories)
    // and no descriptor in flight. The last quiet window also gives the cost of a settled network doing
    // nothing (gossipsub heartbeats, keep-alives).
    const activity = () =>
      directories.reduce((sum, d) => {
        const { accepted, duplicates, superseded, dropped } = d.stats();
        return sum + accepted + duplicates + superseded + Object.values(dropped).reduce((a, b) => a + b, 0) + d.connectedPeers().length;
      }, 0);
    let idleCpuMs = 0;
    for (let before = -1; before !== activity(); ) {
      before = activity();
      const cpu = process.cpuUsage();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const used = process.cpuUsage(cpu);
      idleCpuMs = (used.user + used.system) / 1000 / 2;
    }

    const samples: number[] = [];
    const cpu = process.cpuUsage();
    const timedFrom = performance.now();
    for (let c = 0; c < changes; c++) {
      const publisher = c % size;
      const nodeId = `bench-${publisher}`;
      const epoch = ++epochs[publisher]!;
      const reached = new Map<number, number>();
      const offs = directories.map((d, i) =>
        d.on('change', (entry) => {
          if (i !== publisher && entry.nodeId === nodeId && entry.descriptor.dataEpoch === epoch && !reached.has(i)) reached.set(i, performance.now());
        }),
      );
      const start = performance.now();
      await directories[publisher]!.publish(descriptorOf(publisher, keys[publisher]!, epoch));
      await until(`change ${c + 1} at every peer`, () => reached.size === size - 1, 60_000);
      samples.push(Math.max(...reached.values()) - start);
      offs.forEach((off) => off());
    }
    const used = process.cpuUsage(cpu);
    const changeCpuMs = (used.user + used.system) / 1000 - (idleCpuMs * (performance.now() - timedFrom)) / 1000;
    return {
      peers: size,
      convergeMs,
      propagation: summarise(samples),
      samples,
      cpuMsPerPeerPerChange: Math.max(0, changeCpuMs) / changes / size,
      idleCpuMsPerPeerPerSecond: idleCpuMs / size,
    };
  } finally {
    await Promise.all(directories.map((d) => d.stop()));
  }
}

export async function benchDirectory(plan: DirectoryBenchPlan, log: (line: string) => void = () => undefined): Promise<DirectoryBenchResult[]> {
  const results: DirectoryBenchResult[] = [];
  for (const size of plan.peers) {
    log(`directory propagation over ${size} peers`);
    results.push(await benchNetwork(size, plan.changes, log));
  }
  return results;
}

/** The section of docs/BENCHMARKS.md for the directory. */
export function renderDirectorySection(results: DirectoryBenchResult[], context: { command: string; machine: string; startedAt: string }): string {
  return [
    DIRECTORY_SECTION_TITLE,
    '',
    `Measured ${context.startedAt} with \`${context.command}\` on ${context.machine}.`,
    '',
    'Every peer is a real libp2p peer (TCP on 127.0.0.1, Noise, Yamux, gossipsub) with its own Ed25519 key, all in one process.',
    'Start-up adds peers five at a time, each bootstrapping from the first three and then dialling peers named in descriptors,',
    'and announces until every peer holds every descriptor. Changes are timed once the network has settled (no new',
    'connection, so no directory sync, and no descriptor in flight for 2 s): a change is a',
    "new data epoch of one peer (each peer in turn), signed and published; it has reached a peer when that peer's directory",
    'accepted it (size, signature, trust and order checked) and fired `change`. Propagation runs from `publish` to the last',
    "peer's event; the next change starts once everyone has it. Every peer shares this process's event loop, so each delivery",
    'waits for the work of all the others: an upper bound for peers on machines of their own. "CPU per peer per change" is',
    "the process's CPU while changes were timed, less its idle rate, per change and peer (one signature check, and receiving",
    'and passing on the copies its mesh neighbours send); "idle" is that idle rate (gossipsub heartbeats, keep-alives) per peer.',
    '',
    '| peers | changes | propagation median ms | max ms | CPU per peer per change ms | idle CPU per peer ms/s | start to every peer seeing every peer |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.peers} | ${r.propagation.runs} | ${ms(r.propagation.p50)} | ${ms(Math.max(...r.samples))} | ${ms(r.cpuMsPerPeerPerChange)} | ${ms(r.idleCpuMsPerPeerPerSecond)} | ${(r.convergeMs / 1000).toFixed(1)} s |`,
    ),
    '',
    ...cpuBound(results),
  ].join('\n');
}

/** What bounds the one-process figures: every peer's share of a change runs on the CPU this process gets. */
function cpuBound(results: DirectoryBenchResult[]): string[] {
  const largest = results[results.length - 1];
  if (largest === undefined) return [];
  return [
    `With ${largest.peers} peers one change costs about ${ms(largest.peers * largest.cpuMsPerPeerPerChange)} ms of CPU in this one process`,
    '(peers × CPU per peer per change), and the process shares two cores with whatever else the load average counts, so',
    'propagation here is bounded by CPU, not by the network; on machines of their own each peer spends only its own share.',
    '',
  ];
}

/** Puts the directory section into an existing report: replaces an earlier one, or goes before the reading notes (or at the end). */
export function spliceDirectorySection(report: string, section: string): string {
  const start = report.indexOf(DIRECTORY_SECTION_TITLE);
  if (start >= 0) {
    const next = report.indexOf('\n## ', start + DIRECTORY_SECTION_TITLE.length);
    return report.slice(0, start) + section + (next >= 0 ? '\n' + report.slice(next + 1) : '');
  }
  const reading = report.indexOf('## Reading these figures');
  if (reading >= 0) return report.slice(0, reading) + section + '\n' + report.slice(reading);
  return report.replace(/\n*$/, '\n\n') + section;
}
