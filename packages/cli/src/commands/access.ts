import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { BiospecError } from '@biospec/protocol/core';
import type { AccessRequest, AccessRequestView, Delivery, EncryptionCurve, GrantView, Membership, MembershipView } from '@biospec/access';
import { REQUEST_ACTIONS, type RequestAction } from '@biospec/access/states';
import type { QueryFlags } from '../query-options.js';

// As in node.ts, each action imports the packages it uses when it runs.

interface Connection {
  url: string;
  token?: string;
  json?: boolean;
}

/** The coordinator REST client for `--url` and `--token` (or BIOSPEC_URL and BIOSPEC_TOKEN). */
export async function clientOf(o: Connection) {
  const token = o.token ?? process.env.BIOSPEC_TOKEN;
  if (!token) throw new BiospecError('UNAUTHENTICATED', 'no bearer token: pass --token or set BIOSPEC_TOKEN');
  const { createRestClient } = await import('../rest-client.js');
  return createRestClient(o.url, token);
}

/** Adds `--url`, `--token` and `--json` to a command. */
export function connected(command: Command): Command {
  return command
    .option('--url <url>', 'coordinator REST address (or BIOSPEC_URL)', process.env.BIOSPEC_URL ?? 'http://127.0.0.1:8080')
    .option('--token <jwt>', 'bearer token (or BIOSPEC_TOKEN)')
    .option('--json', 'print the full response as JSON', false);
}

function print(o: Connection, raw: unknown, text: () => string): void {
  console.log(o.json ? JSON.stringify(raw, null, 2) : text());
}

const repeat = (value: string, previous: string[] = []) => [...previous, value];
const splitList = (values: readonly string[]) => values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

/** `node/collection` pairs, as `--collection` takes them. */
function collectionsOf(values: readonly string[]): { nodeId: string; collectionId: string }[] {
  return splitList(values).map((pair) => {
    const at = pair.indexOf('/');
    if (at <= 0 || at === pair.length - 1) throw new BiospecError('INVALID_ARGUMENT', `--collection takes NODE/COLLECTION, got '${pair}'`);
    return { nodeId: pair.slice(0, at), collectionId: pair.slice(at + 1) };
  });
}

/** Name, SHA-256 and size of each attached file; the files themselves stay here. */
function attachmentsOf(files: readonly string[]) {
  return files.map((file) => {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (cause) {
      throw new BiospecError('NOT_FOUND', `cannot read attachment ${file}: ${(cause as Error).message}`, { cause });
    }
    return { name: path.basename(file), sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  });
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new BiospecError('INVALID_ARGUMENT', `cannot read ${what} ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** The public half of a researcher's key file (as `access keygen` writes it). */
async function publicKeyOf(file: string): Promise<Record<string, unknown>> {
  const jwk = readJson(file, 'encryption key') as Record<string, unknown>;
  const { d: _private, ...rest } = jwk;
  const { parseEncryptionKey } = await import('@biospec/access');
  return parseEncryptionKey(rest, '--key') as Record<string, unknown>;
}

/** A saved availability or count bundle as a request's origin. */
function originFromBundle(file: string) {
  const bundle = readJson(file, 'result bundle') as { query_hash?: string; canonical_query?: unknown; sites?: { signed_result?: string }[] };
  if (typeof bundle.query_hash !== 'string' || bundle.canonical_query === undefined) throw new BiospecError('INVALID_ARGUMENT', `${file} is not a result bundle (biospec access availability --save)`);
  const first = bundle.sites?.find((s) => s.signed_result)?.signed_result;
  const payload = first ? (JSON.parse(Buffer.from(first.split('.')[1] ?? '', 'base64url').toString('utf8')) as { question?: string }) : {};
  return { kind: payload.question === 'availability' ? 'availability' : 'count', query: bundle.canonical_query, queryHash: bundle.query_hash, bundle };
}

interface RequestOptions extends Omit<QueryFlags, 'collection'>, Connection {
  title?: string;
  description?: string;
  ethics?: string;
  purpose?: string;
  from?: string;
  kind?: string;
  /** `--collection NODE/COLLECTION`, repeated: the collections asked (not a query filter here). */
  collection: string[];
  attach: string[];
  key?: string;
}

async function requestFields(o: RequestOptions, creating: boolean): Promise<Record<string, unknown>> {
  const { duoCode, queryFromFlags } = await import('../query-options.js');
  const hasQueryFlags = Boolean(o.queryJson || o.queryFile || o.material || o.diagnosis || o.sex || o.age || o.collected || o.consent || o.status || o.minQuantity);
  const { collection: asked, ...flags } = o;
  const origin = o.from ? originFromBundle(o.from) : creating || hasQueryFlags ? { kind: o.kind ?? 'availability', query: queryFromFlags({ ...flags, stratify: undefined }) } : undefined;
  return {
    ...(o.title !== undefined ? { title: o.title } : {}),
    ...(o.description !== undefined ? { description: o.description } : {}),
    ...(o.ethics !== undefined ? { ethicsReference: o.ethics } : {}),
    ...(o.purpose !== undefined ? { purpose: duoCode(o.purpose) } : creating ? { purpose: duoCode('HMB') } : {}),
    ...(origin ? { origin } : {}),
    ...(asked.length > 0 || creating ? { collections: collectionsOf(asked) } : {}),
    ...(o.attach.length > 0 ? { attachments: attachmentsOf(o.attach) } : {}),
    ...(o.key ? { encryptionKey: await publicKeyOf(o.key) } : {}),
  };
}

function requestOptions(command: Command): Command {
  return connected(command)
    .option('--title <text>', 'what the project is')
    .option('--description <text>', 'the project and why it needs these specimens')
    .option('--ethics <ref>', "the ethics committee's reference for the project")
    .option('--purpose <duo>', 'research purpose (GRU, HMB, DS, POA, NRES or a DUO code)')
    .option('--from <bundle>', 'the saved availability (or count) result the request starts from (biospec access availability --save)')
    .option('--kind <kind>', 'availability or count, when the query is given by flags', 'availability')
    .option('--collection <node/collection>', 'a collection to ask (repeat, or comma separated)', repeat, [])
    .option('--attach <file>', 'a document to reference by name and SHA-256 (repeat); the file stays with you', repeat, [])
    .option('--key <file>', 'your encryption key (biospec access keygen): granted detail is encrypted to its public half')
    .option('--material <types>', 'material types, comma separated')
    .option('--diagnosis <codes>', 'ICD-10 codes, descendants included')
    .option('--sex <sexes>', 'female, male, other, unknown')
    .option('--age <from-to>', 'age at collection, inclusive')
    .option('--consent <duo>', 'consent must permit this use')
    .option('--query-json <json>', 'the query AST as JSON instead of the flags above')
    .option('--query-file <file>', 'read the query AST from a file');
}

/** `biospec access …`: what researchers and coordinator staff run against the coordinator. */
export function registerAccessCommands(program: Command): void {
  const access = program.command('access').description('availability, access requests, reviews, grants and granted detail (researchers and coordinator staff)');

  access
    .command('keygen')
    .description('make your encryption key pair: granted detail is encrypted to its public half and only this file opens it')
    .requiredOption('--out <file>', 'private key file to write (0600); its public half goes to <file>.pub.json')
    .option('--curve <curve>', 'X25519 or P-256', 'X25519')
    .action(async (o: { out: string; curve: string }) => {
      if (o.curve !== 'X25519' && o.curve !== 'P-256') throw new BiospecError('INVALID_ARGUMENT', `--curve must be X25519 or P-256, got '${o.curve}'`);
      if (fs.existsSync(o.out)) throw new BiospecError('ALREADY_EXISTS', `${o.out} already exists; refusing to overwrite a key`);
      const { generateEncryptionKey } = await import('@biospec/access');
      const { privateJwk, publicJwk } = await generateEncryptionKey(o.curve as EncryptionCurve);
      fs.writeFileSync(o.out, JSON.stringify(privateJwk, null, 2) + '\n', { mode: 0o600 });
      fs.writeFileSync(`${o.out}.pub.json`, JSON.stringify(publicJwk, null, 2) + '\n');
      console.log(`encryption key written to ${o.out} (keep it); public key ${o.out}.pub.json (thumbprint ${String(publicJwk.kid)})`);
    });

  connected(access.command('whoami').description('your researcher record, roles and the pseudonym nodes see')).action(async (o: Connection) => {
    const me = (await (await clientOf(o)).call('/api/v1/me')) as { personId: string; name: string | null; roles: string[]; pseudonym: string };
    print(o, me, () => `${me.name ?? '-'}  record ${me.personId}  roles ${me.roles.join(', ') || 'none'}  pseudonym ${me.pseudonym}`);
  });

  connected(access.command('availability').description('which collections at each node hold matching available specimens (protected counts per collection and material)'))
    .option('--material <types>', 'material types, comma separated')
    .option('--diagnosis <codes>', 'ICD-10 codes, descendants included')
    .option('--sex <sexes>', 'female, male, other, unknown')
    .option('--age <from-to>', 'age at collection, inclusive')
    .option('--collected <from..to>', 'collection date range')
    .option('--consent <duo>', 'consent must permit this use')
    .option('--query-json <json>', 'the query AST as JSON instead of the flags above')
    .option('--query-file <file>', 'read the query AST from a file')
    .option('--purpose <duo>', 'research purpose', 'HMB')
    .option('--project <name>', 'project the question belongs to', 'feasibility')
    .option('--save <file>', 'save the signed per-site answers as a bundle (to verify, or to start a request from)')
    .action(async (o: QueryFlags & Connection & { purpose: string; project: string; save?: string }) => {
      const client = await clientOf(o);
      const { duoCode, queryFromFlags } = await import('../query-options.js');
      const { FederatedAvailabilityResponse } = await import('@biospec/protocol');
      const { toResultBundle } = await import('../rest-client.js');
      const { formatAvailability } = await import('../format-access.js');
      const query = queryFromFlags({ ...o, unit: 'specimens' });
      const raw = await client.call('/api/v1/availability', { query, purpose: duoCode(o.purpose), project: o.project });
      const response = FederatedAvailabilityResponse.fromJSON(raw);
      if (o.save) {
        const bundle = toResultBundle(response, await client.nodeJwks());
        fs.writeFileSync(o.save, JSON.stringify(bundle, null, 2) + '\n');
      }
      print(o, raw, () => formatAvailability(response) + (o.save ? `\n\nsigned answers saved to ${o.save}; start a request from it with: biospec access create --from ${o.save} ...` : ''));
    });

  requestOptions(access.command('create').description('create an access request (a draft) asking collections of one or more nodes')).action(async (o: RequestOptions) => {
    const client = await clientOf(o);
    const { formatRequest } = await import('../format-access.js');
    const view = (await client.call('/api/v1/access/requests', await requestFields(o, true))) as AccessRequestView;
    print(o, view, () => `created ${view.request.id} (draft)\n\n${formatRequest(view)}`);
  });

  requestOptions(access.command('update <id>').description('change a draft or returned request (only the options given)')).action(async (id: string, o: RequestOptions) => {
    const client = await clientOf(o);
    const { formatRequest } = await import('../format-access.js');
    const view = (await client.call(`/api/v1/access/requests/${encodeURIComponent(id)}`, await requestFields(o, false), 'PATCH')) as AccessRequestView;
    print(o, view, () => formatRequest(view));
  });

  connected(access.command('list').description('access requests you may see: your own, those asking your sites, all for staff'))
    .option('--state <state>', 'only requests in this state (draft, submitted, under_review, returned, approved, declined, concluded, abandoned)')
    .option('--node <id>', 'only requests asking this node')
    .action(async (o: Connection & { state?: string; node?: string }) => {
      const params = new URLSearchParams({ ...(o.state ? { state: o.state } : {}), ...(o.node ? { nodeId: o.node } : {}) });
      const { formatRequestList } = await import('../format-access.js');
      const { requests } = (await (await clientOf(o)).call(`/api/v1/access/requests${params.size > 0 ? `?${params}` : ''}`)) as { requests: AccessRequest[] };
      print(o, requests, () => formatRequestList(requests));
    });

  connected(access.command('show <id>').description('a request: its sites, timeline, comments, grants and deliveries')).action(async (id: string, o: Connection) => {
    const { formatRequest } = await import('../format-access.js');
    const view = (await (await clientOf(o)).call(`/api/v1/access/requests/${encodeURIComponent(id)}`)) as AccessRequestView;
    print(o, view, () => formatRequest(view));
  });

  const verbs: Record<RequestAction, string> = {
    submit: 'submit your request for review',
    review: 'take a submitted request under review (staff)',
    return: 'return a request under review for changes, saying why (staff)',
    approve: 'approve a request under review: its sites are asked (staff)',
    decline: 'decline a request under review, saying why (staff)',
    conclude: 'conclude an approved or declined request (its grants are revoked)',
    abandon: 'abandon your request (its grants are revoked)',
  };
  for (const action of REQUEST_ACTIONS) {
    connected(access.command(`${action} <id>`).description(verbs[action]))
      .option('--reason <text>', 'why, for the timeline')
      .action(async (id: string, o: Connection & { reason?: string }) => {
        const view = (await (await clientOf(o)).call(`/api/v1/access/requests/${encodeURIComponent(id)}/actions/${action}`, o.reason ? { reason: o.reason } : {})) as AccessRequestView;
        print(o, view, () => `${view.request.id} is now ${view.request.state.replace(/_/g, ' ')}`);
      });
  }

  connected(access.command('comment <id>').description('add a comment to a request (researcher, staff, the stewards of its sites)'))
    .requiredOption('--text <text>', 'the comment')
    .option('--site <node>', 'the site the comment is about')
    .action(async (id: string, o: Connection & { text: string; site?: string }) => {
      const view = (await (await clientOf(o)).call(`/api/v1/access/requests/${encodeURIComponent(id)}/comments`, { body: o.text, ...(o.site ? { nodeId: o.site } : {}) })) as AccessRequestView;
      print(o, view, () => `comment added to ${view.request.id} (${view.comments.length} in all)`);
    });

  connected(access.command('revoke <grant>').description('revoke a grant (staff, or the steward of its site); every node refuses it from its next use'))
    .requiredOption('--reason <text>', 'why')
    .action(async (grant: string, o: Connection & { reason: string }) => {
      const view = (await (await clientOf(o)).call(`/api/v1/access/grants/${encodeURIComponent(grant)}/revoke`, { reason: o.reason })) as GrantView;
      print(o, view, () => `grant ${view.id} for ${view.nodeId} revoked at ${view.revokedAt ?? ''}`);
    });

  connected(access.command('fetch <id>').description('granted availability: the matching specimens of one approved site, encrypted to your key and opened here'))
    .requiredOption('--site <node>', 'the site whose grant to use')
    .requiredOption('--key <file>', 'your private encryption key (biospec access keygen)')
    .option('--out <file>', 'also write the decrypted, node-signed detail as JSON')
    .action(async (id: string, o: Connection & { site: string; key: string; out?: string }) => {
      const privateJwk = readJson(o.key, 'encryption key') as Record<string, unknown>;
      const client = await clientOf(o);
      const delivered = (await client.call(`/api/v1/access/requests/${encodeURIComponent(id)}/sites/${encodeURIComponent(o.site)}/granted-availability`, {})) as {
        encryptedAnswer: string;
        delivery: Delivery;
      };
      const jwks = (await client.nodeJwks())[o.site];
      if (jwks === undefined) throw new BiospecError('NOT_FOUND', `the coordinator publishes no keys for node ${o.site}`);
      const { openGrantedDetail } = await import('@biospec/access');
      const { createKeyRing } = await import('@biospec/trust');
      const { formatGrantedDetail } = await import('../format-access.js');
      const detail = await openGrantedDetail(delivered.encryptedAnswer, privateJwk, await createKeyRing(jwks.keys), o.site);
      if (o.out) fs.writeFileSync(o.out, JSON.stringify(detail, null, 2) + '\n', { mode: 0o600 });
      print(o, detail, () => `${formatGrantedDetail(detail)}\n\ndelivered ${delivered.delivery.bytes} encrypted bytes (sha256:${delivered.delivery.sha256})${o.out ? `; detail written to ${o.out}` : ''}`);
    });

  const nodes = access.command('nodes').description('node membership: applications, approval, suspension (staff)');
  connected(nodes.command('list').description('every node that applied or was admitted, with its state')).action(async (o: Connection) => {
    const { memberships } = (await (await clientOf(o)).call('/api/v1/membership')) as { memberships: Membership[] };
    print(o, memberships, () => memberships.map((m) => `${m.nodeId}  ${m.state}  ${m.name}  ${m.endpoint}`).join('\n') || 'no memberships');
  });
  connected(nodes.command('show <node>').description("a node's membership and its history (staff, or the node's operator)")).action(async (nodeId: string, o: Connection) => {
    const { formatMembership } = await import('../format-access.js');
    const view = (await (await clientOf(o)).call(`/api/v1/membership/${encodeURIComponent(nodeId)}`)) as MembershipView;
    print(o, view, () => formatMembership(view));
  });
  for (const [action, description] of [
    ['approve', 'admit a node that applied: the coordinator starts asking it'],
    ['decline', 'decline an application, saying why'],
    ['suspend', 'stop asking an admitted node, saying why'],
    ['readmit', 'ask a suspended node again'],
  ] as const) {
    connected(nodes.command(`${action} <node>`).description(description))
      .option('--reason <text>', 'why, for the record')
      .action(async (nodeId: string, o: Connection & { reason?: string }) => {
        const view = (await (await clientOf(o)).call(`/api/v1/membership/${encodeURIComponent(nodeId)}/actions/${action}`, o.reason ? { reason: o.reason } : {})) as MembershipView;
        print(o, view, () => `node ${view.membership.nodeId} is now ${view.membership.state}`);
      });
  }
}
