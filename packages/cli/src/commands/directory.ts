import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { BiospecError } from '@biospec/protocol/core';
import type { DirectoryConfig } from '@biospec/directory';
import { COORDINATOR_FILES } from '@biospec/coordinator/files';
import { NODE_FILES } from '@biospec/node/files';

// As in node.ts, the action imports the packages it uses when it runs.

/**
 * `biospec directory`: what a node or coordinator sees in the network directory. It reads the
 * snapshot file the running service writes (every few seconds and on every change), so it needs
 * no connection to the service and still shows the last known state, with its age, when the service is down.
 */
export function registerDirectoryCommand(program: Command): void {
  program
    .command('directory')
    .description('list the nodes a node or coordinator sees in the network directory: endpoint, keys, liveness, dropped descriptors')
    .option('--dir <dir>', 'node or coordinator folder (reads the snapshot its running service writes)')
    .option('--file <snapshot>', 'a directory snapshot file instead')
    .option('--json', 'print the snapshot as JSON', false)
    .action(async (o: { dir?: string; file?: string; json: boolean }) => {
      const file = o.file ?? (await snapshotFileOf(o.dir));
      if (!fs.existsSync(file)) {
        throw new BiospecError(
          'NOT_FOUND',
          `no directory snapshot at ${file}: set "directory": {"enabled": true, …} in the service's config and start it`,
        );
      }
      const { readDirectorySnapshot } = await import('@biospec/directory');
      const { formatDirectory } = await import('../format-directory.js');
      const snapshot = readDirectorySnapshot(file);
      console.log(o.json ? JSON.stringify(snapshot, null, 2) : formatDirectory(snapshot, Date.now()));
    });
}

async function snapshotFileOf(dir: string | undefined): Promise<string> {
  if (dir === undefined) throw new BiospecError('INVALID_ARGUMENT', 'pass --dir (a node or coordinator folder) or --file (a snapshot)');
  const nodeConfig = path.join(dir, NODE_FILES.config);
  const coordinatorConfig = path.join(dir, COORDINATOR_FILES.config);
  let configured: DirectoryConfig | undefined;
  if (fs.existsSync(nodeConfig)) configured = (await import('@biospec/node/config')).loadNodeConfig(nodeConfig).directory;
  else if (fs.existsSync(coordinatorConfig)) configured = (await import('@biospec/coordinator')).loadCoordinatorConfig(coordinatorConfig).directory;
  else throw new BiospecError('INVALID_ARGUMENT', `${dir} holds neither ${NODE_FILES.config} nor ${COORDINATOR_FILES.config}`);
  // Without a directory block the service would use the defaults, so look where they point.
  const { DirectoryConfigSchema, resolveDirectoryConfig } = await import('@biospec/directory/config');
  return (configured ?? resolveDirectoryConfig(DirectoryConfigSchema.parse({}), path.resolve(dir))).snapshot;
}
