import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { importCsv, openCatalogue } from '@biospec/catalogue';
import { EXACT_POLICY } from '@biospec/privacy';
import { generateCatalogue, writeCsv } from '@biospec/synthetic';
import { initNodeDir } from '@biospec/node';
import { BIOSPEC_BIN } from './cli.js';

export interface ChildNode {
  dir: string;
  address: string;
  /** The node's public keys, for the coordinator to pin. */
  publicKeys: string;
  process: ChildProcess;
  /** Ends the node (SIGCONT first, in case a test left it stopped) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * A node in its own process, started with `biospec node start` exactly as an operator runs it,
 * so a test can stop it (SIGSTOP) and resume it (SIGCONT) like a stalled machine.
 */
export async function startChildNode(dir: string, options: { nodeId: string; coordinatorJwks: string; donors?: number }): Promise<ChildNode> {
  const { config, publicKeys } = await initNodeDir(dir, {
    nodeId: options.nodeId,
    name: `Node ${options.nodeId}`,
    listen: '127.0.0.1:0',
    coordinatorJwks: options.coordinatorJwks,
    policy: { ...EXACT_POLICY, rateLimits: [{ limit: 100_000, windowSeconds: 60 }] },
  });
  const csv = path.join(dir, 'export.csv');
  await writeCsv(generateCatalogue({ seed: 11, donors: options.donors ?? 100, profile: 'population-biobank', idPrefix: 'C' }), csv);
  const catalogue = openCatalogue(path.join(path.dirname(config), 'catalogue.db'), { countIndex: 'off' });
  try {
    await importCsv(catalogue, csv, { actor: 'test' });
  } finally {
    catalogue.close();
  }

  const child = spawn(process.execPath, [BIOSPEC_BIN, 'node', 'start', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const serving = /serving on (\S+)/.exec(stdout);
      if (serving) resolve(serving[1]!);
    });
    child.once('exit', (code) => reject(new Error(`node exited with ${code} before serving: ${stderr}`)));
  });
  return {
    dir,
    address,
    publicKeys,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
