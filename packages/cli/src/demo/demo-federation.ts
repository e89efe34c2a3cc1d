import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { importCsv } from '@biospec/catalogue';
import { generateCatalogue, writeCsv } from '@biospec/synthetic';
import { initNodeDir, loadNodeConfig, openNode, startNodeServer, type NodeConfig, type RunningNodeServer } from '@biospec/node';
import {
  addMember,
  COORDINATOR_FILES,
  initCoordinatorDir,
  issueResearcher,
  loadCoordinatorConfig,
  openCoordinator,
  startCoordinatorGrpc,
  startCoordinatorHttp,
  type CoordinatorConfig,
  type OpenCoordinator,
  type RunningServer,
} from '@biospec/coordinator';
import type { CollectionDescription } from '@biospec/access';
import { createDemoAccounts, demoCollections, type DemoAccount } from './demo-access.js';

export { DEMO_SITES, DEMO_SITES_WITH_HOLD, type DemoSite } from './demo-sites.js';
import { DEMO_RATE_LIMITS, DEMO_SITES, type DemoSite } from './demo-sites.js';

export interface DemoFederation {
  dir: string;
  /** One account per role (researcher, staff, a steward and an operator per site), tokens in `dir/tokens/`. */
  accounts: DemoAccount[];
  /** The demo researcher's encryption key (private JWK file); granted detail is encrypted to its public half. */
  researcherKey: string;
  coordinator: OpenCoordinator;
  grpc: RunningServer;
  http: RunningServer;
  nodes: { site: DemoSite; server: RunningNodeServer; specimens: number }[];
  /** A researcher's bearer token (also in `researcher.token`). */
  token: string;
  stop(): Promise<void>;
}

export interface DemoOptions {
  /** Folder for every file of the demo; a new temp folder by default. */
  dir?: string;
  donorsPerSite?: number;
  seed?: number;
  sites?: readonly DemoSite[];
  /** Called as each site's catalogue is generated and imported. */
  onProgress?: (message: string) => void;
  logger?: Logger;
  httpListen?: string;
  grpcListen?: string;
  /** Coordinator's per-researcher limits. */
  rateLimits?: { limit: number; windowSeconds: number }[];
  /** Edits a site's node config before its node starts (tests: admission limits). */
  nodeConfig?: (site: DemoSite, config: NodeConfig) => NodeConfig;
  /** Edits the coordinator's config before it starts (tests: notifier, reminders). */
  coordinatorConfig?: (config: CoordinatorConfig) => CoordinatorConfig;
  /** The coordinator's own logger (the nodes keep `logger`). */
  coordinatorLogger?: Logger;
  /** The collections a site publishes; by default all its named collections but its site-wide one. */
  collections?: (site: DemoSite) => CollectionDescription[];
}

/** What a demo site's synthetic catalogue is generated from; tests regenerate it for ground truth. */
export function demoCatalogueOptions(site: DemoSite, index: number, options: Pick<DemoOptions, 'seed' | 'donorsPerSite'> = {}) {
  return { seed: (options.seed ?? 2026) + index, donors: options.donorsPerSite ?? 4000, profile: site.profile, idPrefix: site.prefix };
}

/**
 * Starts a whole federation on loopback: a coordinator and one node per
 * site, each with its own keys, SQLite catalogue of synthetic specimens and
 * policy, wired exactly as separate machines would be (keys exchanged as files).
 */
export async function startDemoFederation(options: DemoOptions = {}): Promise<DemoFederation> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-demo-'));
  const log = options.onProgress ?? (() => undefined);
  const logger = options.logger ?? pino({ level: 'warn' }, pino.destination(2));
  const sites = options.sites ?? DEMO_SITES;
  const coordinatorDir = path.join(dir, 'coordinator');
  const { publicKeys: coordinatorJwks } = await initCoordinatorDir(coordinatorDir, {
    grpcListen: options.grpcListen ?? '127.0.0.1:0',
    httpListen: options.httpListen ?? '127.0.0.1:0',
    rateLimits: options.rateLimits ?? DEMO_RATE_LIMITS,
  });

  const nodes: DemoFederation['nodes'] = [];
  for (const [index, site] of sites.entries()) {
    const nodeDir = path.join(dir, 'nodes', site.id);
    const { config, publicKeys } = await initNodeDir(nodeDir, {
      nodeId: site.id,
      name: site.name,
      listen: '127.0.0.1:0',
      coordinatorJwks,
      policy: site.policy,
      // The demo's stewards work in the web UI: every node lists its held questions to them and takes their decisions.
      holdDecisionsFromCoordinator: true,
    });
    const csv = path.join(nodeDir, 'export.csv');
    const records = generateCatalogue(demoCatalogueOptions(site, index, options));
    const { rows } = await writeCsv(records, csv);
    const loaded = loadNodeConfig(config);
    const nodeConfig = options.nodeConfig ? options.nodeConfig(site, loaded) : loaded;
    const node = await openNode(nodeConfig, { logger: logger.child({ node: site.id }) });
    const report = await importCsv(node.catalogue, csv, { actor: 'demo', source: csv });
    node.accessState.publish(options.collections ? options.collections(site) : demoCollections(site), { actor: 'demo' });
    log(`${site.name}: ${rows} synthetic specimens imported (${report.added} added) in ${(report.durationMs / 1000).toFixed(1)} s`);
    const server = await startNodeServer(node);
    addMember(coordinatorDir, { id: site.id, name: site.name, endpoint: server.address, jwksFile: publicKeys });
    nodes.push({ site, server, specimens: node.catalogue.size() });
  }

  const loaded = loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config));
  const coordinator = await openCoordinator(options.coordinatorConfig ? options.coordinatorConfig(loaded) : loaded, { logger: options.coordinatorLogger ?? logger });
  const grpc = await startCoordinatorGrpc(coordinator);
  const http = await startCoordinatorHttp(coordinator);
  const { token } = await issueResearcher(coordinatorDir, { subject: 'demo.researcher@example.org', name: 'Demo Researcher' });
  fs.writeFileSync(path.join(dir, 'researcher.token'), token + '\n', { mode: 0o600 });
  const { accounts, researcherKey } = await createDemoAccounts(coordinatorDir, dir, sites);

  return {
    dir,
    accounts,
    researcherKey,
    coordinator,
    grpc,
    http,
    nodes,
    token,
    async stop() {
      await Promise.all([grpc.stop(500), http.stop()]);
      await coordinator.close();
      await Promise.all(nodes.map((n) => n.server.stop(500)));
    },
  };
}
