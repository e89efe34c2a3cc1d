import fs from 'node:fs';
import path from 'node:path';
import { importCsv, openCatalogue } from '@biospec/catalogue';
import { generateCatalogue, writeCsv } from '@biospec/synthetic';
import { signQuery } from '@biospec/trust';
import type { Query } from '@biospec/query';
import { loadNodeConfig } from '@biospec/node';
import { QUERY_SHAPES } from './shapes.js';
import { settle } from './settle.js';
import { createBenchNode, startNodeProcess } from './bench-node.js';
import { residentMemory } from './machine.js';
import { time, type Timing } from './stats.js';
import { benchAlwaysAnswering, type AlwaysBenchResult } from './always-bench.js';
import { benchPeers, type PeersBenchResult } from './peers-bench.js';

/** Synthetic rows per donor of the university-hospital profile (measured by the generator's author). */
const ROWS_PER_DONOR = 5.2;

export interface CatalogueBenchResult {
  rows: number;
  csvMB: number;
  importRowsPerSecond: number;
  importSeconds: number;
  /** In-process `Catalogue.count`, true counts, no protection or signing. */
  catalogue: { shape: string; timing: Timing }[];
  /**
   * One signed question to the node in another process, answered whole (verify, execute, protect, sign,
   * audit): `timing` over the CountStream the coordinator keeps open, `unary` as a Count call of its own.
   */
  node: { shape: string; timing: Timing; unary: Timing }[];
  nodeRss: { rss: number; peak: number };
  indexBuildSeconds: number;
  /** In-process `Catalogue.count` with the per-donor caps {@link BENCH_CAPS}. */
  capped: { shape: string; timing: Timing }[];
  /** The same questions answered by DuckDB and by SQLite with the index off. */
  peers: PeersBenchResult;
  always: AlwaysBenchResult;
}

/** About the caps the node's policy will use (the lead's defaults). */
export const BENCH_CAPS = { specimens: 5, aliquots: 25, donorCells: 5 };

/** Imports a synthetic catalogue of about `rows` specimens and measures import and count latency. */
export async function benchCatalogue(
  workDir: string,
  rows: number,
  runs: number,
  nodeWarmup: number,
  peerRuns: { duckdb: number; sqlite: number },
  log: (line: string) => void,
): Promise<CatalogueBenchResult> {
  const dir = path.join(workDir, `catalogue-${rows}`);
  const nodeDir = path.join(dir, 'node');
  const { coordinatorKey, configFile } = await createBenchNode(nodeDir, 'bench-node');
  const csv = path.join(dir, 'export.csv');
  log(`generating about ${rows} specimens`);
  const donors = Math.ceil(rows / ROWS_PER_DONOR);
  const written = await writeCsv(generateCatalogue({ seed: 42, donors, profile: 'university-hospital', idPrefix: 'B' }), csv);

  log(`importing ${written.rows} rows`);
  const config = loadNodeConfig(configFile);
  const catalogue = openCatalogue(config.catalogue);
  // The whole call, as its caller waits for it: the import's own duration stops before its COMMIT,
  // and the commit with its WAL checkpoint takes seconds at 10M.
  const importStarted = performance.now();
  await importCsv(catalogue, csv, { actor: 'bench' });
  const importSeconds = (performance.now() - importStarted) / 1000;
  // Counts go to SQL while the index builds after an import; measure the steady state.
  await catalogue.countIndexReady();
  settle();
  const results: CatalogueBenchResult['catalogue'] = [];
  for (const shape of QUERY_SHAPES) {
    log(`in-process count: ${shape.name}`);
    let run = 0;
    results.push({ shape: shape.name, timing: await time(() => catalogue.count(shape.query(run++)), { runs }) });
  }
  const peers = await benchPeers(csv, config.catalogue, QUERY_SHAPES, catalogue, peerRuns, log);
  catalogue.close();
  fs.rmSync(csv, { force: true });
  log('in-process count with per-donor caps: building the capped index');
  const cappedCatalogue = openCatalogue(config.catalogue, { caps: BENCH_CAPS, readonly: true });
  await cappedCatalogue.countIndexReady();
  // The uncapped index and DuckDB's table, closed above, are still to be collected.
  settle();
  const capped: CatalogueBenchResult['capped'] = [];
  for (const shape of QUERY_SHAPES) {
    log(`in-process count with caps: ${shape.name}`);
    let run = 0;
    capped.push({ shape: shape.name, timing: await time(() => cappedCatalogue.count(shape.query(run++)), { runs }) });
  }
  cappedCatalogue.close();
  // The closed index's typed arrays (hundreds of MB at 10M) stay mapped in this process until a
  // collection; left to V8, that collection runs during the timed calls below and slowed the node
  // RPC figures by 1.5 to 2 ms at 10M.
  settle();

  log('starting the node in its own process');
  let stopped = false;
  const node = await startNodeProcess(nodeDir);
  const nodeResults: CatalogueBenchResult['node'] = [];
  const sign = (query: Query) =>
    signQuery(
      { query, purpose: 'DUO:0000006', researcher: 'r-bench', project: 'bench', audience: 'bench-node', issuer: 'coordinator', lifetimeSeconds: 300 },
      coordinatorKey,
    );
  try {
    log(`warming the node with ${nodeWarmup} questions`);
    for (let i = 0; i < nodeWarmup; i++) await node.count(await sign(QUERY_SHAPES[i % QUERY_SHAPES.length]!.query(i)));
    for (const shape of QUERY_SHAPES) {
      // Every call needs a token of its own (the node refuses a replayed one), and runs numbered
      // apart from the warm-up's, so a shape that varies asks what the node has not just seen.
      const tokens = async (from: number) => Promise.all(Array.from({ length: runs + 5 }, (_, i) => sign(shape.query(from + i))));
      const [streamTokens, unaryTokens] = [await tokens(1000), await tokens(2000)];
      log(`node, one question at a time: ${shape.name}`);
      const timing = await time(() => node.countOnStream(streamTokens.pop()!), { runs, warmup: 5 });
      const unary = await time(() => node.count(unaryTokens.pop()!), { runs, warmup: 5 });
      nodeResults.push({ shape: shape.name, timing, unary });
    }
    const nodeRss = residentMemory(node.pid);
    await node.stop();
    stopped = true;
    const always = await benchAlwaysAnswering(nodeDir, config.catalogue, written.rows, donors, coordinatorKey, log);
    return {
      rows: written.rows,
      csvMB: written.bytes / 1e6,
      importRowsPerSecond: written.rows / importSeconds,
      importSeconds,
      catalogue: results,
      node: nodeResults,
      nodeRss,
      indexBuildSeconds: node.indexBuildSeconds,
      capped,
      peers,
      always,
    };
  } finally {
    if (!stopped) await node.stop();
  }
}
