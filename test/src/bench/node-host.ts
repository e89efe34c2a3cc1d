/**
 * Serves several nodes from one process: `node node-host.js DIR...`. Each node
 * keeps its own gRPC server, port, keys, SQLite files and log file; only the
 * process (and so the core it runs on) is shared. Prints one JSON line per node
 * once it serves and its count index is built, and stops all on SIGTERM.
 */
import path from 'node:path';
import { pino } from 'pino';
import { loadNodeConfig, NODE_FILES, openNode, startNodeServer, type RunningNodeServer } from '@biospec/node';

const running: RunningNodeServer[] = [];
for (const dir of process.argv.slice(2)) {
  const config = loadNodeConfig(path.join(dir, NODE_FILES.config));
  const logger = pino({ level: config.logLevel, base: { node: config.nodeId } }, pino.destination({ dest: path.join(dir, 'node.log'), sync: true }));
  const node = await openNode(config, { logger });
  const server = await startNodeServer(node);
  running.push(server);
  const index = await node.catalogue.countIndexReady();
  console.log(JSON.stringify({ dir, address: server.address, indexBuildSeconds: index ? index.buildMs / 1000 : null }));
}
process.once('SIGTERM', () => {
  Promise.all(running.map((r) => r.stop(0))).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
