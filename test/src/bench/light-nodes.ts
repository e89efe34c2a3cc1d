import fs from 'node:fs';
import path from 'node:path';
import { importCsv, openCatalogue } from '@biospec/catalogue';
import { initCoordinatorDir, issueResearcher, COORDINATOR_FILES } from '@biospec/coordinator';
import { initNodeDir } from '@biospec/node';
import { generateCatalogue, writeCsv } from '@biospec/synthetic';
import { BENCH_POLICY, startNodeHost, type NodeHost } from './bench-node.js';

/**
 * Many nodes for the federation benchmarks, made light: every node has its own folder, Ed25519
 * key, noise secret, replay cache, budget, hold queue, audit log, gRPC server and log file, and
 * answers through the whole node path, but all of them read one shared catalogue file (each
 * builds its own count index of it), and they are served by a few processes (round robin).
 */
export interface LightNodes {
  ids: string[];
  /** Node id → the address it serves gRPC on (empty for a node that only connects out). */
  addresses: Map<string, string>;
  /** Node id → its public keys file. */
  jwks: Map<string, string>;
  hosts: NodeHost[];
  stop(): Promise<void>;
}

export interface LightNodesOptions {
  count: number;
  donors: number;
  processes: number;
  /** The coordinator's public keys, pinned by every node. */
  coordinatorJwks: string;
  /** Where each node connects out to (its `connectOut.coordinator`), if it should; it listens as well unless `listen` is false. */
  connectOut?: string;
  listen?: boolean;
  log: (line: string) => void;
}

const GENEROUS = [{ limit: 1_000_000_000, windowSeconds: 1 }];

export async function startLightNodes(dir: string, options: LightNodesOptions): Promise<LightNodes> {
  fs.mkdirSync(dir, { recursive: true });
  const shared = path.join(dir, 'shared-catalogue.db');
  const csv = path.join(dir, 'shared.csv');
  await writeCsv(generateCatalogue({ seed: 9, donors: options.donors, profile: 'university-hospital', idPrefix: 'L' }), csv);
  const catalogue = openCatalogue(shared, { countIndex: 'off' });
  await importCsv(catalogue, csv, { actor: 'bench' });
  catalogue.close();
  fs.chmodSync(shared, 0o600);

  options.log(`preparing ${options.count} light nodes sharing one catalogue of ${options.donors} donors`);
  const ids: string[] = [];
  const jwks = new Map<string, string>();
  const dirs: string[] = [];
  for (let i = 0; i < options.count; i++) {
    const id = `node-${String(i).padStart(4, '0')}`;
    const nodeDir = path.join(dir, id);
    const { config, publicKeys } = await initNodeDir(nodeDir, { nodeId: id, name: id, listen: '127.0.0.1:0', coordinatorJwks: options.coordinatorJwks, policy: BENCH_POLICY });
    const body = JSON.parse(fs.readFileSync(config, 'utf8')) as Record<string, unknown>;
    const listens = options.listen ?? true;
    fs.writeFileSync(
      config,
      JSON.stringify({
        ...body,
        catalogue: shared,
        ...(listens ? {} : { listen: null }),
        ...(options.connectOut ? { connectOut: { coordinator: options.connectOut, backoff: { initialMs: 200, maxMs: 2000 } } } : {}),
      }),
    );
    ids.push(id);
    jwks.set(id, publicKeys);
    dirs.push(nodeDir);
  }
  const processes = Math.min(options.count, options.processes);
  options.log(`starting ${options.count} nodes in ${processes} processes`);
  const groups = Array.from({ length: processes }, (_, p) => dirs.filter((_, i) => i % processes === p));
  const hosts = await Promise.all(groups.map((group) => startNodeHost(group)));
  const addresses = new Map<string, string>();
  groups.forEach((group, g) => group.forEach((nodeDir, i) => addresses.set(path.basename(nodeDir), hosts[g]!.addresses[i]!)));
  return {
    ids,
    addresses,
    jwks,
    hosts,
    async stop() {
      await Promise.all(hosts.map((h) => h.stop()));
    },
  };
}

/** A coordinator folder for a benchmark: generous limits, a researcher token, members written at once. */
export async function createBenchCoordinator(
  dir: string,
  options: { nodeConnectListen?: string; sameKeysAs?: string } = {},
): Promise<{ dir: string; jwks: string; token: string; setMembers(members: { id: string; endpoint: string; jwks: string }[]): void }> {
  const { publicKeys } = await initCoordinatorDir(dir, {
    grpcListen: '127.0.0.1:0',
    httpListen: '127.0.0.1:0',
    rateLimits: GENEROUS,
    ...(options.nodeConnectListen ? { nodeConnectListen: options.nodeConnectListen } : {}),
  });
  // A second coordinator with the first one's keys and pseudonym secret: the same nodes answer both.
  if (options.sameKeysAs) {
    for (const file of [COORDINATOR_FILES.signingKey, COORDINATOR_FILES.publicKeys, COORDINATOR_FILES.pseudonymSecret]) {
      fs.copyFileSync(path.join(options.sameKeysAs, file), path.join(dir, file));
    }
  }
  const { token } = await issueResearcher(dir, { subject: 'bench@example.org' });
  const configFile = path.join(dir, COORDINATOR_FILES.config);
  return {
    dir,
    jwks: publicKeys,
    token,
    // Written in one go: add-node re-reads the whole config per member, which a thousand members make slow.
    setMembers(members) {
      const nodes = members.map((m) => {
        const pinned = path.join(COORDINATOR_FILES.nodesDir, `${m.id}.jwks.json`);
        fs.copyFileSync(m.jwks, path.join(dir, pinned));
        return { id: m.id, name: m.id, endpoint: m.endpoint, jwks: pinned };
      });
      const body = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(configFile, JSON.stringify({ ...body, defaultDeadlineMs: 60_000, nodes }, null, 2));
    },
  };
}
