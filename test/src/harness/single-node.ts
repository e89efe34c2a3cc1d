import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metadata, credentials, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { NodeServiceClient, type CountResponse } from '@biospec/protocol';
import { EXACT_POLICY, type DisclosurePolicy } from '@biospec/privacy';
import { generateSigningKey, importSigningKey, type SigningKey } from '@biospec/trust';
import { importCsv } from '@biospec/catalogue';
import { generateCatalogue, writeCsv } from '@biospec/synthetic';
import type { SpecimenRecord } from '@biospec/query';
import { initNodeDir, loadNodeConfig, openNode, startNodeServer, type NodeConfig, type OpenNode, type RunningNodeServer } from '@biospec/node';

export const NODE_ID = 'test-node';

export interface SingleNode {
  dir: string;
  coordinatorKey: SigningKey;
  records: SpecimenRecord[];
  node: OpenNode;
  server: RunningNodeServer;
  client: NodeServiceClient;
  /** Count over gRPC; rejects with the grpc ServiceError. */
  count(signedQuery: string): Promise<CountResponse>;
  /** Stops the server and starts it again on the same files (a node restart). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface SingleNodeOptions {
  policy?: DisclosurePolicy;
  donors?: number;
  /** Edits the node config before start (TLS, message limits). */
  configure?: (config: NodeConfig) => NodeConfig;
  clientCredentials?: ChannelCredentials;
  records?: SpecimenRecord[];
  /** A fixed noise secret, for tests whose outcome must not depend on a random secret. */
  noiseSecret?: Buffer;
  /** The coordinator's private key (JWK file) to pin; a fresh key by default. */
  coordinatorKeyFile?: string;
  /** Where the node's temp folder is made (a size-limited disk); the system temp folder by default. */
  parentDir?: string;
  /** Options of `startNodeServer` (how often readiness is evaluated). */
  serverOptions?: Parameters<typeof startNodeServer>[1];
  /** The node id; {@link NODE_ID} by default. */
  nodeId?: string;
}

/** One real node: its own folder, keys, SQLite catalogue of synthetic data and gRPC server on 127.0.0.1 port 0. */
export async function startSingleNode(options: SingleNodeOptions = {}): Promise<SingleNode> {
  const dir = fs.mkdtempSync(path.join(options.parentDir ?? os.tmpdir(), 'biospec-node-'));
  const privateJwk = options.coordinatorKeyFile
    ? JSON.parse(fs.readFileSync(options.coordinatorKeyFile, 'utf8'))
    : (await generateSigningKey()).privateJwk;
  const coordinatorKey = await importSigningKey(privateJwk);
  const publicJwk = coordinatorKey.publicJwk;
  const coordinatorJwks = path.join(dir, 'coordinator.pub.json');
  fs.writeFileSync(coordinatorJwks, JSON.stringify({ keys: [publicJwk] }));
  const nodeDir = path.join(dir, 'node');
  await initNodeDir(nodeDir, {
    nodeId: options.nodeId ?? NODE_ID,
    name: 'Test Node',
    listen: '127.0.0.1:0',
    coordinatorJwks,
    policy: options.policy ?? { ...EXACT_POLICY, rateLimits: [{ limit: 100000, windowSeconds: 60 }] },
  });
  if (options.noiseSecret) fs.writeFileSync(path.join(nodeDir, 'noise-secret'), options.noiseSecret);
  const records = options.records ?? [...generateCatalogue({ seed: 7, donors: options.donors ?? 200, profile: 'university-hospital', idPrefix: 'T' })];
  const csv = path.join(dir, 'export.csv');
  await writeCsv(records, csv);

  const logger = pino({ level: 'silent' });
  const configure = options.configure ?? ((c: NodeConfig) => c);
  const open = async () => openNode(configure(loadNodeConfig(path.join(nodeDir, 'node.json'))), { logger });
  let node = await open();
  await importCsv(node.catalogue, csv, { actor: 'test' });
  let server = await startNodeServer(node, options.serverOptions);
  const creds = options.clientCredentials ?? credentials.createInsecure();
  let client = new NodeServiceClient(`127.0.0.1:${server.port}`, creds);

  const self: SingleNode = {
    dir: nodeDir,
    coordinatorKey,
    records,
    node,
    server,
    client,
    count: (signedQuery) =>
      new Promise((resolve, reject) =>
        self.client.count({ signedQuery }, new Metadata(), { deadline: Date.now() + 5000 }, (err: ServiceError | null, res) =>
          err ? reject(err) : resolve(res),
        ),
      ),
    async restart() {
      self.client.close();
      await self.server.stop(200);
      node = await open();
      server = await startNodeServer(node, options.serverOptions);
      client = new NodeServiceClient(`127.0.0.1:${server.port}`, creds);
      Object.assign(self, { node, server, client });
    },
    async stop() {
      self.client.close();
      await self.server.stop(200);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}
