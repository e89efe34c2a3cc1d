/**
 * One node served from this process, as `biospec node start` serves it
 * (openNode + startNodeServer), that also measures its own event loop:
 * `node served-node.js DIR`. Prints `{"address"}` once it serves; each line
 * `report` on stdin prints the event-loop delay since the last report
 * (`{"p50", "p99", "max"}` in ms) and its count index status. Stops on SIGTERM.
 */
import path from 'node:path';
import readline from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { loadNodeConfig, NODE_FILES, openNode, startNodeServer } from '@biospec/node';

const dir = process.argv[2] as string;
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
const config = loadNodeConfig(path.join(dir, NODE_FILES.config));
const logger = pino({ level: config.logLevel, base: { node: config.nodeId } }, pino.destination({ dest: path.join(dir, 'node.log'), sync: true }));
const node = await openNode(config, { logger });
const server = await startNodeServer(node);
console.log(JSON.stringify({ address: server.address }));
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'report') return;
  const ms = (ns: number) => ns / 1e6;
  console.log(JSON.stringify({ p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), status: node.catalogue.status() }));
  delay.reset();
});
process.once('SIGTERM', () => {
  server.stop(0).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
