import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { importCsv } from '@biospec/catalogue';
import {
  addMember,
  COORDINATOR_FILES,
  initCoordinatorDir,
  issueResearcher,
  loadCoordinatorConfig,
  openCoordinator,
  startNodeConnectServer,
  type CoordinatorConfig,
  type OpenCoordinator,
  type RunningServer,
} from '@biospec/coordinator';
import { initNodeDir, loadNodeConfig, NODE_FILES, openNode, startNodeServer, type NodeConfig, type OpenNode, type RunningNodeServer } from '@biospec/node';
import { EXACT_POLICY, type DisclosurePolicy } from '@biospec/privacy';
import type { FederatedAvailabilityResponse, FederatedCountResponse } from '@biospec/protocol';
import type { Query } from '@biospec/query';
import { generateCatalogue, writeCsv } from '@biospec/synthetic';
import { freePort, startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** How the coordinator reaches a node: at its address, over the link the node dials, or the node does both. */
export type NodeMode = 'direct' | 'connect-out' | 'both';

export interface NetworkNodeSpec {
  id: string;
  mode: NodeMode;
  /** How the coordinator's membership lists it; default: `connect-out` for a connect-out node, its address otherwise. */
  member?: 'address' | 'connect-out';
  donors?: number;
  /** The node dials the coordinator through a TCP proxy the test can make drop the connection. */
  viaProxy?: boolean;
}

export interface ConnectNetworkOptions {
  nodes: NetworkNodeSpec[];
  policy?: DisclosurePolicy;
  /** The coordinator's pings to every node connection (direct and connect-out). */
  coordinatorKeepalive?: { timeMs: number; timeoutMs: number };
  /** Each connect-out node's pings and retry schedule. */
  nodeKeepalive?: { timeMs: number; timeoutMs: number };
  backoff?: { initialMs: number; maxMs: number };
  /** TLS of the coordinator's connect listener (`nodeConnect.tls`). */
  coordinatorConnectTls?: { cert: string; key: string; ca?: string; requireClientCert: boolean };
  /** Edits a node's config before it starts (admission limits, TLS). */
  configure?: (spec: NetworkNodeSpec, config: NodeConfig) => NodeConfig;
}

export interface NetworkNode {
  spec: NetworkNodeSpec;
  dir: string;
  config: NodeConfig;
  /** The node's parts (catalogue, audit log), replaced when it restarts. */
  open: OpenNode;
  server: RunningNodeServer;
  proxy?: TcpProxy;
}

export interface ConnectNetwork {
  dir: string;
  coordinator: OpenCoordinator;
  connectServer: RunningServer;
  /** The port nodes dial; kept across coordinator restarts. */
  connectPort: number;
  nodes: Map<string, NetworkNode>;
  ask(query: Query, deadlineMs?: number): Promise<FederatedCountResponse>;
  /** An availability question, as a researcher with a coordinator-issued token asks it. */
  askAvailability(query: Query, deadlineMs?: number): Promise<FederatedAvailabilityResponse>;
  /** Stops the coordinator (its connect listener included) and opens it again on the same files and port. */
  restartCoordinator(): Promise<void>;
  /** Stops a node and starts it again on the same files. */
  restartNode(id: string): Promise<void>;
  /** Resolves once `check` holds (asked every 100 ms), or rejects after `timeoutMs`. */
  waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const GENEROUS = [{ limit: 1_000_000, windowSeconds: 60 }];
const silent = pino({ level: 'silent' });

/** The same secret for a node id in every network a test builds, so equal questions get equal noise. */
const noiseSecretOf = (id: string) => createHash('sha256').update(`noise secret of ${id}`).digest();

/**
 * A coordinator and real nodes on 127.0.0.1, each node served as its spec says: on a listening
 * port, connected out to the coordinator's `nodeConnect` listener, or both. Each node has its
 * own folder, keys, SQLite catalogue of synthetic data and a noise secret fixed by its id.
 */
export async function startConnectNetwork(options: ConnectNetworkOptions): Promise<ConnectNetwork> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-connect-'));
  const coordinatorDir = path.join(dir, 'coordinator');
  const connectPort = await freePort();
  const { publicKeys: coordinatorJwks } = await initCoordinatorDir(coordinatorDir, {
    grpcListen: '127.0.0.1:0',
    httpListen: '127.0.0.1:0',
    nodeConnectListen: `127.0.0.1:${connectPort}`,
    rateLimits: GENEROUS,
  });
  const policy = options.policy ?? { ...EXACT_POLICY, rateLimits: GENEROUS };

  const nodes = new Map<string, NetworkNode>();
  for (const [index, spec] of options.nodes.entries()) {
    const nodeDir = path.join(dir, spec.id);
    await initNodeDir(nodeDir, { nodeId: spec.id, name: spec.id, listen: '127.0.0.1:0', coordinatorJwks, policy });
    fs.writeFileSync(path.join(nodeDir, NODE_FILES.noiseSecret), noiseSecretOf(spec.id));
    const csv = path.join(dir, `${spec.id}.csv`);
    await writeCsv(generateCatalogue({ seed: 11 + index, donors: spec.donors ?? 150, profile: 'university-hospital', idPrefix: spec.id.toUpperCase() }), csv);
    const proxy = spec.viaProxy ? await startTcpProxy(connectPort) : undefined;
    const loaded = loadNodeConfig(path.join(nodeDir, NODE_FILES.config));
    const configure = options.configure ?? ((_spec: NetworkNodeSpec, c: NodeConfig) => c);
    const config: NodeConfig = configure(spec, {
      ...loaded,
      listen: spec.mode === 'connect-out' ? null : '127.0.0.1:0',
      ...(spec.mode === 'direct'
        ? {}
        : {
            connectOut: {
              coordinator: `127.0.0.1:${proxy?.port ?? connectPort}`,
              keepalive: options.nodeKeepalive ?? { timeMs: 5000, timeoutMs: 5000 },
              backoff: options.backoff ?? { initialMs: 100, maxMs: 1000 },
            },
          }),
    });
    const opened = await openNode(config, { logger: silent });
    await importCsv(opened.catalogue, csv, { actor: 'test' });
    const server = await startNodeServer(opened);
    nodes.set(spec.id, { spec, dir: nodeDir, config, open: opened, server, ...(proxy ? { proxy } : {}) });
  }
  for (const node of nodes.values()) {
    const asConnectOut = (node.spec.member ?? (node.spec.mode === 'connect-out' ? 'connect-out' : 'address')) === 'connect-out';
    addMember(coordinatorDir, { id: node.spec.id, name: node.spec.id, endpoint: asConnectOut ? 'connect-out' : node.server.address, jwksFile: path.join(node.dir, NODE_FILES.publicKeys) });
  }

  const coordinatorConfig = (): CoordinatorConfig => {
    const loaded = loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config));
    return {
      ...loaded,
      ...(options.coordinatorKeepalive ? { nodeKeepalive: options.coordinatorKeepalive } : {}),
      ...(options.coordinatorConnectTls ? { nodeConnect: { ...loaded.nodeConnect!, tls: options.coordinatorConnectTls } } : {}),
    };
  };
  let coordinator = await openCoordinator(coordinatorConfig(), { logger: silent });
  let connectServer = await startNodeConnectServer(coordinator);
  const researcher = async () => (await coordinator.people.findByEmail('connect@example.org')) ?? (await coordinator.people.create({ email: 'connect@example.org' }));

  const network: ConnectNetwork = {
    dir,
    coordinator,
    connectServer,
    connectPort,
    nodes,
    ask: async (query, deadlineMs = 5000) => coordinator.federatedCount(await researcher(), { query, purpose: 'DUO:0000006', project: 'connect-out', deadlineMs }),
    async askAvailability(query, deadlineMs = 5000) {
      const { token } = await issueResearcher(coordinatorDir, { subject: 'availability@example.org' });
      const caller = await coordinator.authenticate(`Bearer ${token}`);
      return coordinator.federatedAvailability(caller, { query, purpose: 'DUO:0000006', project: 'connect-out', deadlineMs });
    },
    async restartCoordinator() {
      await connectServer.stop(200);
      await coordinator.close();
      coordinator = await openCoordinator(coordinatorConfig(), { logger: silent });
      connectServer = await startNodeConnectServer(coordinator);
      Object.assign(network, { coordinator, connectServer });
    },
    async restartNode(id) {
      const node = nodes.get(id)!;
      await node.server.stop(200);
      node.open = await openNode(node.config, { logger: silent });
      node.server = await startNodeServer(node.open);
    },
    async waitFor(what, check, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      await connectServer.stop(200);
      await coordinator.close();
      for (const node of nodes.values()) {
        await node.server.stop(200);
        await node.proxy?.close();
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return network;
}
