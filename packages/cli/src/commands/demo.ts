import path from 'node:path';
import type { Command } from 'commander';
import { webUiRoot } from '@biospec/coordinator';
import { formatFederatedResult } from '../format-result.js';
import { createRestClient, toResultBundle } from '../rest-client.js';
import { startDemoFederation } from '../demo/demo-federation.js';
import { DEMO_QUESTIONS } from '../demo/demo-questions.js';
import { waitForShutdown } from '../shutdown.js';
import fs from 'node:fs';

/** `biospec demo`: a coordinator and three nodes with synthetic catalogues on this machine. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start a demo federation (coordinator + 3 nodes, synthetic data) on loopback, ask example questions, stay up until Ctrl-C')
    .option('--dir <dir>', 'folder for the demo files (default: a new temp folder)')
    .option('--donors <n>', 'donors per site', '4000')
    .option('--http <host:port>', 'coordinator REST address', '127.0.0.1:8080')
    .option('--once', 'stop after the example questions', false)
    .action(async (o: { dir?: string; donors: string; http: string; once: boolean }) => {
      console.log('starting a demo federation: 1 coordinator, 3 nodes, synthetic catalogues ...');
      const federation = await startDemoFederation({
        ...(o.dir ? { dir: path.resolve(o.dir) } : {}),
        donorsPerSite: Number(o.donors),
        httpListen: o.http,
        onProgress: (message) => console.log(`  ${message}`),
      });
      const url = `http://${federation.http.address}`;
      const client = createRestClient(url, federation.token);
      for (const question of DEMO_QUESTIONS) {
        console.log(`\n== ${question.title}`);
        const { response } = await client.count(question.request);
        console.log(formatFederatedResult(response));
      }
      const bundleFile = path.join(federation.dir, 'last-result.bundle.json');
      const last = DEMO_QUESTIONS[0]!;
      const { response } = await client.count(last.request);
      fs.writeFileSync(bundleFile, JSON.stringify(toResultBundle(response, await client.nodeJwks()), null, 2) + '\n');

      const cli = 'npx biospec';
      const ui = webUiRoot({ webRoot: undefined }) === null ? '(not built: run npm run build)' : `${url}/`;
      console.log(`
The federation is up (files in ${federation.dir}):
  web UI            ${ui}
  coordinator REST  ${url}   (POST /api/v1/count, GET /api/v1/nodes, GET /metrics)
  coordinator gRPC  ${federation.grpc.address}
${federation.nodes.map((n) => `  node ${n.site.id.padEnd(15)} ${n.server.address}   ${n.specimens} specimens`).join('\n')}

Demo accounts: sign in to the web UI by pasting a token
  researcher  Demo Researcher   ${path.join(federation.dir, 'researcher.token')}
  staff       Demo Staff        ${path.join(federation.dir, 'staff.token')}
Try:
  export BIOSPEC_TOKEN=$(cat ${path.join(federation.dir, 'researcher.token')})
  ${cli} query --url ${url} --material tissue-ffpe --diagnosis C50 --sex female --age 40-60 --consent HMB
  ${cli} query --url ${url} --diagnosis I21,I25 --unit donors --stratify sex,age_band
  ${cli} verify ${bundleFile}`);
      if (o.once) {
        await federation.stop();
        return;
      }
      console.log('\nPress Ctrl-C to stop.');
      await waitForShutdown(() => federation.stop());
    });
}
