import type { Command } from 'commander';
import { BiospecError } from '@biospec/protocol/core';

// As in node.ts, the action imports the packages it uses when it runs.

/** `biospec nodes`: the network's member nodes as the coordinator sees them, with each node's own policy. */
export function registerNodesCommand(program: Command): void {
  program
    .command('nodes')
    .description("list the coordinator's member nodes: status, noisy catalogue size, data epoch, disclosure policy and what it guarantees")
    .option('--url <url>', 'coordinator REST address (or BIOSPEC_URL)', process.env.BIOSPEC_URL ?? 'http://127.0.0.1:8080')
    .option('--token <jwt>', 'researcher bearer token (or BIOSPEC_TOKEN)')
    .option('--json', 'print the response as JSON', false)
    .action(async (o: { url: string; token?: string; json: boolean }) => {
      const token = o.token ?? process.env.BIOSPEC_TOKEN;
      if (!token) throw new BiospecError('UNAUTHENTICATED', 'no researcher token: pass --token or set BIOSPEC_TOKEN');
      const { createRestClient } = await import('../rest-client.js');
      const { siteStatusToJSON } = await import('@biospec/protocol');
      const { describePolicy, parsePolicy } = await import('@biospec/privacy');
      const { duration } = await import('../format-result.js');
      const { nodes, coordinator } = await createRestClient(o.url, token).nodes();
      if (o.json) {
        console.log(JSON.stringify(coordinator ? { nodes, coordinator } : nodes, null, 2));
        return;
      }
      if (coordinator) {
        const limits = coordinator.rateLimits.map((r) => `${r.limit} per ${duration(r.windowSeconds)}`).join(', ') || 'none';
        console.log(`coordinator ${coordinator.coordinatorId}: rate limits per researcher ${limits} (besides each node's own)`);
      }
      for (const n of nodes) {
        const status = siteStatusToJSON(n.lastStatus).replace('SITE_STATUS_', '').toLowerCase();
        const donors = n.catalogueDonors?.display ?? 'size unknown';
        console.log(`${n.nodeId}  ${n.name}  ${n.endpoint}  ${status}  ${donors}  epoch ${n.dataEpoch}`);
        if (n.policyJson) console.log(`  policy: ${describePolicy(parsePolicy(JSON.parse(n.policyJson)))}`);
      }
    });
}
