import path from 'node:path';
import type { Command } from 'commander';
import { BiospecError } from '@biospec/protocol/core';
import type { demoCollections } from '../demo/demo-access.js';
import type { DemoFederation } from '../demo/demo-federation.js';
import { guardService } from '../process-guards.js';
import { waitForShutdown } from '../shutdown.js';
import fs from 'node:fs';

// As in node.ts, the action imports the packages it uses when it runs.

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
      if (!/^\d+$/.test(o.donors) || Number(o.donors) < 1) {
        throw new BiospecError('INVALID_ARGUMENT', `--donors: '${o.donors}' is not a whole number of donors (1 or more)`);
      }
      const { DEMO_SITES_WITH_HOLD, startDemoFederation } = await import('../demo/demo-federation.js');
      const { DEMO_QUESTIONS } = await import('../demo/demo-questions.js');
      const { demoCollections } = await import('../demo/demo-access.js');
      const { createRestClient, toResultBundle } = await import('../rest-client.js');
      const { formatFederatedResult } = await import('../format-result.js');
      const { webUiRoot } = await import('@biospec/coordinator');
      console.log('starting a demo federation: 1 coordinator, 3 nodes, synthetic catalogues ...');
      const federation = await startDemoFederation({
        ...(o.dir ? { dir: path.resolve(o.dir) } : {}),
        donorsPerSite: Number(o.donors),
        sites: DEMO_SITES_WITH_HOLD,
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
${federation.nodes.map((n) => `  node ${n.site.id.padEnd(15)} ${n.server.address}   ${n.specimens} specimens (withdrawn donors' not counted)`).join('\n')}

Researcher token: ${path.join(federation.dir, 'researcher.token')}
Try:
  export BIOSPEC_TOKEN=$(cat ${path.join(federation.dir, 'researcher.token')})
  ${cli} query --url ${url} --material tissue-ffpe --diagnosis C50 --sex female --age 40-60 --consent HMB
  ${cli} query --url ${url} --diagnosis I21,I25 --unit donors --stratify sex,age_band
  ${cli} verify ${bundleFile}
${accessWalkthrough(federation, url, cli, demoCollections)}`);
      if (o.once) {
        await federation.stop();
        return;
      }
      console.log('\nPress Ctrl-C to stop.');
      guardService(() => federation.stop());
      await waitForShutdown(() => federation.stop());
    });
}

/** How to walk one access request through the demo from the CLI, one role after another. */
function accessWalkthrough(federation: DemoFederation, url: string, cli: string, collectionsOf: typeof demoCollections): string {
  // Short when the demo folder is under the current one; absolute otherwise (never `../../tmp/…`).
  const rel = (file: string) => {
    const relative = path.relative(process.cwd(), file);
    return relative === '' || relative.startsWith('..') ? file : relative;
  };
  const tokenOf = (role: string) => federation.accounts.find((a) => a.roles.includes(role as never))!.tokenFile;
  const [first, second] = federation.nodes.map((n) => n.site);
  const firstCollection = collectionsOf(first!)[0]!.id;
  const secondCollection = collectionsOf(second!)[0]!.id;
  const accounts = federation.accounts.map((a) => `  ${a.roles.join(',').padEnd(26)} ${a.name.padEnd(30)} ${rel(a.tokenFile)}`).join('\n');
  return `
Demo accounts, one per role (bearer tokens; paste one into the web UI's sign-in page):
${accounts}

Walk one access request (export the tokens first):
  export BIOSPEC_URL=${url}
  R=$(cat ${rel(tokenOf('researcher'))}) S=$(cat ${rel(tokenOf('staff'))}) A=$(cat ${rel(tokenOf(`steward:${first!.id}`))}) B=$(cat ${rel(tokenOf(`steward:${second!.id}`))})
  ${cli} access availability --token $R --diagnosis C50,I21 --save availability.json
  ${cli} access create --token $R --from availability.json --title "Cohort study" --description "Why these specimens" \\
      --ethics EC-2026-1 --purpose HMB --collection ${first!.id}/${firstCollection} --collection ${second!.id}/${secondCollection} \\
      --key ${rel(federation.researcherKey)}             # prints the request id: REQ
  ${cli} access submit REQ --token $R
  ${cli} access review REQ --token $S && ${cli} access approve REQ --token $S --reason "ethics and purpose in order"
  ${cli} node requests approve REQ --token $A         # ${first!.id} approves: a signed grant is issued for it
  ${cli} node requests decline REQ --token $B --reason "no consent for this purpose"
  ${cli} access fetch REQ --site ${first!.id} --key ${rel(federation.researcherKey)} --token $R   # end-to-end encrypted detail
  ${cli} access show REQ --token $R                   # timeline, grants, deliveries
  ${cli} access revoke GRANT --reason "consent withdrawn" --token $S   # then fetch is refused at the node${heldWalkthrough(federation, rel)}`;
}

/** Where the demo's held questions are decided: the steward of each site that holds answers, in the web UI. */
function heldWalkthrough(federation: DemoFederation, rel: (file: string) => string): string {
  const holding = federation.nodes.map((n) => n.site).filter((site) => site.policy.release === 'hold');
  return holding
    .map((site) => {
      const steward = federation.accounts.find((a) => a.roles.includes(`steward:${site.id}` as never))!;
      return `

${site.id} holds every answer for its steward ("release": "hold"), so the questions above show it as held.
Sign in to the web UI with ${rel(steward.tokenFile)}, open "My sites" and release or decline each held
question with a reason; the researcher's repeat of the question then gets the figures, or the reason.`;
    })
    .join('');
}
