import path from 'node:path';
import type { Command } from 'commander';
import { BiospecError, createPrivateFile, makePrivateDir, readJsonFile } from '@biospec/protocol/core';
import type { AccessRequest, AccessRequestView, GrantView, MembershipView } from '@biospec/access';
import { SITE_ACTIONS, type SiteAction } from '@biospec/access/states';
import { NODE_FILES } from '@biospec/node/files';
import { clientOf, connected } from './access.js';

// As in node.ts, each action imports the packages it uses when it runs.

interface Connection {
  url: string;
  token?: string;
  json?: boolean;
}

async function configOf(dir: string) {
  const { loadNodeConfig } = await import('@biospec/node/config');
  return loadNodeConfig(path.join(dir, NODE_FILES.config));
}

/** The node a steward acts for: `--node`, or the one node they are steward of. */
async function stewardNode(o: Connection & { node?: string }): Promise<string> {
  if (o.node) return o.node;
  const me = (await (await clientOf(o)).call('/api/v1/me')) as { roles: string[] };
  const mine = me.roles.filter((r) => r.startsWith('steward:')).map((r) => r.slice('steward:'.length));
  if (mine.length === 1) return mine[0] as string;
  throw new BiospecError('INVALID_ARGUMENT', mine.length === 0 ? 'you are steward of no node; ask coordinator staff for the role steward:<node id>' : `you are steward of ${mine.join(', ')}: say which with --node`);
}

const SITE_VERBS: Record<string, SiteAction> = {
  hold: 'hold',
  approve: 'approve',
  decline: 'decline',
  available: 'samples-available',
  unavailable: 'samples-unavailable',
};

/** `biospec node collections …`, `biospec node join`, `biospec node requests …`. */
export function registerNodeAccessCommands(node: Command): void {
  const collections = node.command('collections').description("the node's published collections: names, descriptions, contacts and access conditions (public)");
  collections
    .command('import <file>')
    .description('publish the collection description file (CSV: id,name,description,contact_name,contact_email,access_conditions; or JSON); atomic: one bad entry imports nothing')
    .requiredOption('--dir <dir>', 'node folder')
    .option('--actor <name>', 'who publishes it, for the record', 'steward')
    .action(async (file: string, o: { dir: string; actor: string }) => {
      const config = await configOf(o.dir);
      const { createNodeAccessState, readCollectionFile } = await import('@biospec/access');
      const { nodeStateFiles } = await import('@biospec/node');
      const list = readCollectionFile(file);
      makePrivateDir(config.stateDir);
      const stateFile = nodeStateFiles(config).access;
      createPrivateFile(stateFile);
      const state = createNodeAccessState(stateFile);
      try {
        const published = state.publish(list, { actor: o.actor, source: path.resolve(file) });
        console.log(`${published.collections.length} collection(s) published (digest ${published.digest.slice(0, 12)}); availability answers now have ${published.collections.length + 1} collection cells per material`);
      } finally {
        state.close();
      }
    });
  collections
    .command('list')
    .description('the collections this node publishes')
    .requiredOption('--dir <dir>', 'node folder')
    .action(async (o: { dir: string }) => {
      const config = await configOf(o.dir);
      const { createNodeAccessState } = await import('@biospec/access');
      const { nodeStateFiles } = await import('@biospec/node');
      const state = createNodeAccessState(nodeStateFiles(config).access);
      try {
        const { collections: list, importedAt } = state.published();
        if (list.length === 0) console.log('no collections published (biospec node collections import FILE)');
        for (const c of list) console.log(`${c.id}  ${c.name}  ${[c.contact.name, c.contact.email].filter(Boolean).join(' ')}${c.accessConditions ? `  access: ${c.accessConditions}` : ''}`);
        if (importedAt) console.log(`published ${importedAt}`);
      } finally {
        state.close();
      }
    });

  connected(node.command('join').description("ask the network to admit this node: its descriptor and public keys, signed with its key (sent with an operator's token)"))
    .requiredOption('--dir <dir>', 'node folder')
    .option('--endpoint <host:port>', "the address the coordinator reaches this node at (default: its listen address, or connect-out for a node without one)")
    .option('--contact <text>', 'who to contact at the institution')
    .action(async (o: Connection & { dir: string; endpoint?: string; contact?: string }) => {
      const config = await configOf(o.dir);
      const { loadNodeSigningKey } = await import('@biospec/node');
      const { signMembershipApplication } = await import('@biospec/access');
      const { formatMembership } = await import('../format-access.js');
      const key = await loadNodeSigningKey(config);
      const jwks = readJsonFile(path.join(config.baseDir, NODE_FILES.publicKeys), 'node public keys') as { keys: Record<string, unknown>[] };
      const application = signMembershipApplication(
        { nodeId: config.nodeId, name: config.name, endpoint: o.endpoint ?? config.listen ?? 'connect-out', jwks, ...(o.contact ? { contact: o.contact } : {}) },
        key,
      );
      const view = (await (await clientOf(o)).call('/api/v1/membership/applications', { application })) as MembershipView;
      console.log(o.json ? JSON.stringify(view, null, 2) : `${formatMembership(view)}\n\nstaff decide; the node is asked only once they approve it`);
    });

  const requests = node.command('requests').description("access requests asking this node's site (stewards)");
  connected(requests.command('list').description('requests asking your site'))
    .option('--node <id>', 'your site, when you are steward of several')
    .option('--state <state>', 'only requests in this state')
    .action(async (o: Connection & { node?: string; state?: string }) => {
      const nodeId = await stewardNode(o);
      const { formatRequestList } = await import('../format-access.js');
      const params = new URLSearchParams({ nodeId, ...(o.state ? { state: o.state } : {}) });
      const { requests: list } = (await (await clientOf(o)).call(`/api/v1/access/requests?${params}`)) as { requests: AccessRequest[] };
      console.log(o.json ? JSON.stringify(list, null, 2) : formatRequestList(list));
    });
  connected(requests.command('show <id>').description('a request asking your site')).action(async (id: string, o: Connection) => {
    const { formatRequest } = await import('../format-access.js');
    const view = (await (await clientOf(o)).call(`/api/v1/access/requests/${encodeURIComponent(id)}`)) as AccessRequestView;
    console.log(o.json ? JSON.stringify(view, null, 2) : formatRequest(view));
  });
  for (const [verb, description] of [
    ['hold', "put your site's answer on hold while you check (say why)"],
    ['approve', 'approve the request for your site: a signed grant is issued for it'],
    ['decline', 'decline the request for your site, saying why'],
    ['available', 'after approving: the samples are available'],
    ['unavailable', 'after approving: the samples turned out to be unavailable'],
  ] as const) {
    connected(requests.command(`${verb} <id>`).description(description))
      .option('--node <id>', 'your site, when you are steward of several')
      .option('--reason <text>', 'why, for the timeline')
      .action(async (id: string, o: Connection & { node?: string; reason?: string }) => {
        const nodeId = await stewardNode(o);
        const action = SITE_VERBS[verb] as SiteAction;
        if (!SITE_ACTIONS.includes(action)) throw new BiospecError('INTERNAL', `no site action ${verb}`);
        const view = (await (await clientOf(o)).call(
          `/api/v1/access/requests/${encodeURIComponent(id)}/sites/${encodeURIComponent(nodeId)}/actions/${action}`,
          o.reason ? { reason: o.reason } : {},
        )) as AccessRequestView;
        const site = view.request.sites.find((s) => s.nodeId === nodeId);
        const grant = view.grants.filter((g) => g.nodeId === nodeId && g.revokedAt === null).pop();
        console.log(o.json ? JSON.stringify(view, null, 2) : `${view.request.id} at ${nodeId}: ${site?.state.replace(/_/g, ' ')}${action === 'approve' && grant ? ` (grant ${grant.id} until ${grant.expiresAt})` : ''}`);
      });
  }
  connected(requests.command('comment <id>').description('comment on a request asking your site'))
    .requiredOption('--text <text>', 'the comment')
    .option('--node <id>', 'your site, when you are steward of several')
    .action(async (id: string, o: Connection & { text: string; node?: string }) => {
      const nodeId = await stewardNode(o);
      await (await clientOf(o)).call(`/api/v1/access/requests/${encodeURIComponent(id)}/comments`, { body: o.text, nodeId });
      console.log(`comment added to ${id}`);
    });
  connected(requests.command('revoke <grant>').description("revoke your site's grant; your node refuses it from its next use"))
    .requiredOption('--reason <text>', 'why')
    .action(async (grant: string, o: Connection & { reason: string }) => {
      const view = (await (await clientOf(o)).call(`/api/v1/access/grants/${encodeURIComponent(grant)}/revoke`, { reason: o.reason })) as GrantView;
      console.log(`grant ${view.id} for ${view.nodeId} revoked`);
    });
}
