import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { applyEnvOverrides, BiospecError, configIssues, type EnvOverride } from '@biospec/protocol';
import { DirectoryConfigSchema, resolveDirectoryConfig } from '@biospec/directory';
import { isRole } from '@biospec/registry';

/** A member endpoint saying the node has no address: it dials the coordinator (`nodeConnect`). */
export const CONNECT_OUT = 'connect-out';

const ClientTlsSchema = z
  .object({
    ca: z.string().min(1).optional().describe('PEM CA the node\'s certificate must chain to.'),
    cert: z.string().min(1).optional().describe('PEM client certificate, for nodes that require one (mutual TLS).'),
    key: z.string().min(1).optional().describe('PEM private key of the client certificate.'),
  })
  .strict();

const MemberSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, at most 63').describe('The node\'s id, as in its node.json.'),
    name: z.string().min(1).describe('The institution\'s name, shown to researchers.'),
    endpoint: z
      .union([z.literal(CONNECT_OUT), z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port or connect-out')])
      .describe(
        'host:port of the node\'s gRPC server, or `connect-out` for a node with no listening port that dials this coordinator\'s `nodeConnect` listener. A node with an address may connect out too: while its link is up, it is asked over the link.',
      ),
    jwks: z.string().min(1).describe('JWKS file of the node\'s public signing keys (pinned).'),
    tls: ClientTlsSchema.optional().describe('TLS to this node; overrides `nodeTls`.'),
  })
  .strict();

/**
 * How identities of an issuer nobody has linked yet are treated (see
 * `resolvePerson`): by default only linked ones (or, if enabled, ones whose
 * verified e-mail matches a researcher record) may ask.
 */
/**
 * How the web UI signs in with an issuer: the OpenID Connect authorization-code flow with PKCE
 * for a public client (no secret). `bearer` names the token of the provider's answer the UI
 * sends to the coordinator; its `aud` must be the issuer's `audience`.
 */
const SignInSchema = z
  .object({
    name: z.string().min(1).max(100).describe('What the sign-in button says (e.g. the institution\'s login).'),
    clientId: z.string().min(1).describe('The UI\'s client id at the provider (a public client: no secret).'),
    authorizationEndpoint: z.url().describe('The provider\'s authorization endpoint.'),
    tokenEndpoint: z.url().describe('The provider\'s token endpoint.'),
    scope: z.string().min(1).default('openid profile email').describe('Scopes asked for.'),
    bearer: z.enum(['access_token', 'id_token']).default('access_token').describe('Which token of the provider\'s answer the UI sends to the coordinator; its `aud` must be the issuer\'s `audience`.'),
  })
  .strict();
const registration = {
  unknownIdentities: z
    .enum(['link', 'auto'])
    .default('link')
    .describe('An identity of this issuer no researcher record has: refused until staff link it (`link`), or given a new record (`auto`).'),
  linkByVerifiedEmail: z.boolean().default(false).describe('Link an unknown identity to the record with the e-mail address the issuer says it verified.'),
  roleClaim: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Where the provider\'s tokens say which groups or roles the caller holds (a claim, or a dotted path such as `realm_access.roles`); `roleMapping` turns each into a role here. Without it, the provider\'s tokens grant no role beyond the researcher record\'s.',
    ),
  signIn: SignInSchema.optional().describe('How the web UI signs in with this issuer (OpenID Connect authorization code with PKCE); absent: the UI offers no sign-in for it.'),
  roleMapping: z
    .record(z.string(), z.string().refine(isRole, 'not a role (researcher, staff, steward:<node id>, operator:<node id>)'))
    .optional()
    .describe('Provider group or role → role here (`"biobank-dac": "staff"`, `"nuh-stewards": "steward:northbridge-uh"`).'),
};
const issuer = z.string().min(1).describe('The `iss` of the provider\'s tokens.');
const audience = z.string().min(1).describe('The `aud` its tokens must carry for this coordinator.');
const IssuerSchema = z.union([
  z.object({ issuer, audience, jwks: z.string().min(1).describe('A JWKS file of the provider\'s keys.'), ...registration }).strict(),
  z.object({ issuer, audience, jwksUri: z.url().describe('The provider\'s JWKS URL, fetched and cached.'), ...registration }).strict(),
]);

/** Who is told of access-workflow events, and how (docs/ACCESS.md, "Notifications"). */
const NotifierSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('log') }).strict(),
  z
    .object({
      kind: z.literal('smtp'),
      host: z.string().min(1).describe('The SMTP server.'),
      port: z.number().int().min(1).max(65535).default(587).describe('Its port.'),
      secure: z.boolean().default(false).describe('TLS from the first byte (port 465); otherwise STARTTLS when offered.'),
      requireTls: z.boolean().default(false).describe('Refuse to send unless STARTTLS succeeds.'),
      from: z.string().min(3).describe('The `From` address of notifications.'),
      auth: z
        .object({
          user: z.string().min(1).describe('The SMTP user.'),
          passwordFile: z.string().min(1).describe('File holding the SMTP password (mode 0600); the password is never kept in the config.'),
        })
        .strict()
        .optional()
        .describe('SMTP authentication; none when absent.'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('webhook'),
      url: z.url().describe('Where each event is POSTed as JSON.'),
      secretFile: z.string().min(1).optional().describe('File holding the shared secret that signs each body (`X-Biospec-Signature`).'),
      timeoutMs: z.number().int().min(100).max(60_000).default(5000).describe('How long one POST may take, in milliseconds.'),
    })
    .strict(),
]);

/** The access workflow's settings. */
const AccessSchema = z
  .object({
    grantLifetimeDays: z.number().min(0.001).max(366).default(30).describe('How long a grant is valid once a site approves, in days.'),
    remindAfterHours: z
      .number()
      .min(0.001)
      .max(24 * 365)
      .default(72)
      .describe('A site still pending this long after staff approved a request (and between reminders) is reminded, in hours.'),
    reminderCheckSeconds: z.number().int().min(1).max(86_400).default(3600).describe('How often due reminders are looked for, in seconds.'),
    notifier: NotifierSchema.default({ kind: 'log' }).describe('Who is told of access-workflow events, and how (docs/ACCESS.md, "Notifications"): `log`, `smtp` or `webhook`.'),
  })
  .strict();

/** The coordinator's config file (`coordinator.json`). Paths are relative to the file. */
export const CoordinatorConfigSchema = z
  .object({
    coordinatorId: z.string().min(1).default('coordinator').describe('`iss` of every query the coordinator signs; nodes see it.'),
    grpcListen: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port').default('127.0.0.1:50050').describe('host:port of the researcher-facing gRPC server; port 0 picks a free one.'),
    httpListen: z
      .string()
      .regex(/^[^\s:]+:\d{1,5}$/, 'host:port')
      .default('127.0.0.1:8080')
      .describe('host:port of the REST server, which also serves `/healthz`, `/readyz` and `/metrics`.'),
    signingKey: z.string().default('coordinator-key.jwk.json').describe('Private signing key (JWK) used for queries and researcher tokens.'),
    retiredKeys: z.string().optional().describe('Earlier public keys still published while nodes move to a new key (rotation).'),
    pseudonymSecret: z.string().default('pseudonym-secret').describe('Secret that turns researcher records into the pseudonyms nodes see.'),
    stateDir: z
      .string()
      .default('state')
      .describe(
        'Folder of the coordinator\'s own databases: researcher records (`people.db`), rate-limit windows (`rate-limits.db`), its audit log (`audit.db` and its signed head `audit.db.head`) and the access workflow (`access.db`: requests, grants, memberships), unless `database` is set; its pid file either way.',
      ),
    nodes: z.array(MemberSchema).default([]).describe('The member nodes (`biospec coordinator add-node` writes them).'),
    researcherIssuers: z.array(IssuerSchema).default([]).describe('Who may sign researcher tokens. The coordinator itself always may (issuer = coordinatorId).'),
    webRoot: z.string().min(1).optional().describe('Folder of the web UI\'s static files, served under `/`; default: the built `@biospec/web` (`web/dist`).'),
    researcherAudience: z.string().default('biospec-coordinator').describe('Audience of researcher tokens the coordinator issues.'),
    defaultDeadlineMs: z.number().int().min(100).max(120000).default(5000).describe('How long a federated question waits for the sites when the researcher names no deadline.'),
    queryLifetimeSeconds: z.number().int().min(10).max(300).default(120).describe('Lifetime of each signed query (`exp - iat`); nodes refuse longer ones.'),
    rateLimits: z
      .array(
        z
          .object({
            limit: z.number().int().min(1).describe('Most questions per window.'),
            windowSeconds: z.number().int().min(1).describe('The sliding window, in seconds.'),
          })
          .strict(),
      )
      .default([
        { limit: 10, windowSeconds: 60 },
        { limit: 200, windowSeconds: 36000 },
      ])
      .describe('Per-researcher limits on federated questions, all enforced together; the windows are kept in `state/rate-limits.db`.'),
    nodeTls: ClientTlsSchema.optional().describe('TLS for connections to nodes; mutual when cert and key are set.'),
    nodeKeepalive: z
      .object({
        timeMs: z.number().int().min(1000).max(3_600_000).default(5000).describe('A ping on every node connection this often, in milliseconds.'),
        timeoutMs: z.number().int().min(100).max(600_000).default(5000).describe('A connection whose ping is not answered within this is closed.'),
      })
      .strict()
      .prefault({})
      .describe(
        'HTTP/2 keepalive on every connection to a node: a connection dropped silently fails its queries as `unreachable` at once instead of at their deadline. Nodes accept pings this often (`keepalive.minPingIntervalMs`, 5000 by default).',
      ),
    nodeConnect: z
      .object({
        listen: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port').describe('host:port where nodes without an inbound port dial in.'),
        tls: z
          .object({
            cert: z.string().min(1).describe('PEM certificate chain.'),
            key: z.string().min(1).describe('PEM private key of that certificate.'),
            ca: z.string().min(1).optional().describe('PEM CA whose client certificates are accepted (mutual TLS with the nodes).'),
            requireClientCert: z.boolean().default(false).describe('Refuse nodes without a certificate signed by `ca`; needs `ca`.'),
          })
          .strict()
          .optional()
          .describe('TLS for this listener; plain when absent.'),
        proofTimeoutMs: z.number().int().min(100).max(60_000).default(10_000).describe('How long a dialling node has to answer the challenge, in milliseconds.'),
      })
      .strict()
      .optional()
      .describe(
        'Where nodes that connect out dial in (docs/PROTOCOL.md, "Connect-out"): its own gRPC server, apart from the researcher-facing one, with its own TLS. Each connection is pinged every `nodeKeepalive.timeMs`. Off when absent.',
      ),
    tls: z
      .object({
        cert: z.string().min(1).describe('PEM certificate chain.'),
        key: z.string().min(1).describe('PEM private key of that certificate.'),
        ca: z.string().min(1).optional().describe('PEM CA whose client certificates are accepted (mutual TLS).'),
        requireClientCert: z.boolean().default(false).describe('Refuse clients without a certificate signed by `ca`; needs `ca`.'),
      })
      .strict()
      .optional()
      .describe('TLS for the researcher-facing servers, gRPC and REST alike; plain when absent.'),
    publicUrl: z
      .url()
      .optional()
      .describe(
        'The coordinator\'s public REST address (e.g. `https://coordinator.example.org`): grants name their request by URL under it, and notifications link to it. Without it, grants name a request `urn:biospec:<coordinator id>:request:<id>`.',
      ),
    access: AccessSchema.prefault({}).describe('The access workflow (docs/ACCESS.md): grant lifetime, reminders, notifications.'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Least severe level logged (JSON lines on stderr).'),
    filePermissions: z.enum(['refuse', 'warn']).default('refuse').describe('At start, a folder, database or secret that other users can read stops the coordinator (`refuse`) or is only logged (`warn`).'),
    directory: DirectoryConfigSchema.optional().describe('The libp2p directory (signed descriptor gossip); off unless `directory.enabled`.'),
    database: z
      .object({
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
          .describe('libpq connection URL (`postgres://user:password@host:5432/biospec?sslmode=require`); better set through BIOSPEC_COORDINATOR_DATABASE_URL than written in the file.'),
        membershipSyncSeconds: z
          .number()
          .min(0.1)
          .max(3600)
          .default(5)
          .describe(
            'How often this coordinator reads the shared memberships to ask the nodes approved, and stop asking those suspended, through another coordinator on the same database, in seconds.',
          ),
      })
      .strict()
      .optional()
      .describe(
        'PostgreSQL for the coordinator\'s state (researcher records, rate-limit windows, audit log and the access workflow: requests, grants, memberships), shared by several coordinators serving one network; absent: SQLite files in `stateDir`.',
      ),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.tls?.requireClientCert && c.tls.ca === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'ca'], message: 'requireClientCert needs ca: the CA whose client certificates are accepted' });
    }
    const seen = new Set<string>();
    c.nodes.forEach((n, i) => {
      if (seen.has(n.id)) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'id'], message: `duplicate node id ${n.id}` });
      seen.add(n.id);
      if (n.endpoint === CONNECT_OUT && c.nodeConnect === undefined) {
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'endpoint'], message: 'a connect-out node needs nodeConnect.listen, where it dials in' });
      }
    });
    if (c.nodeConnect?.tls?.requireClientCert && c.nodeConnect.tls.ca === undefined) {
      ctx.addIssue({ code: 'custom', path: ['nodeConnect', 'tls', 'ca'], message: 'requireClientCert needs ca: the CA whose client certificates are accepted' });
    }
  });

export type CoordinatorConfig = z.infer<typeof CoordinatorConfigSchema> & { baseDir: string; file?: string };

/**
 * The keys of `coordinator.json` an environment variable may set, for container platforms and
 * systemd units (docs/CONFIG.md): listen addresses, log level, paths. Relative paths are resolved
 * against the config file's folder, as the file's own are.
 */
export const COORDINATOR_ENV_OVERRIDES: readonly EnvOverride[] = [
  { env: 'BIOSPEC_COORDINATOR_GRPC_LISTEN', path: ['grpcListen'] },
  { env: 'BIOSPEC_COORDINATOR_HTTP_LISTEN', path: ['httpListen'] },
  { env: 'BIOSPEC_COORDINATOR_LOG_LEVEL', path: ['logLevel'] },
  { env: 'BIOSPEC_COORDINATOR_STATE_DIR', path: ['stateDir'] },
  { env: 'BIOSPEC_COORDINATOR_SIGNING_KEY', path: ['signingKey'] },
  { env: 'BIOSPEC_COORDINATOR_PSEUDONYM_SECRET', path: ['pseudonymSecret'] },
  { env: 'BIOSPEC_COORDINATOR_DATABASE_URL', path: ['database', 'url'] },
];

/** Validates a parsed config object, with the environment's overrides applied (none unless given); reports every problem at once. */
export function parseCoordinatorConfig(input: unknown, baseDir: string, env: Readonly<Record<string, string | undefined>> = {}): CoordinatorConfig {
  const { value, fromEnv } = applyEnvOverrides(input, env, COORDINATOR_ENV_OVERRIDES);
  const parsed = CoordinatorConfigSchema.safeParse(value);
  if (!parsed.success) {
    throw new BiospecError('INVALID_CONFIG', 'coordinator config is invalid', { issues: configIssues(parsed.error.issues, { fromEnv }) });
  }
  const c = parsed.data;
  const at = (p: string) => path.resolve(baseDir, p);
  const tlsAt = <T extends { ca?: string | undefined; cert?: string | undefined; key?: string | undefined }>(t: T | undefined) =>
    t && { ...t, ca: t.ca && at(t.ca), cert: t.cert && at(t.cert), key: t.key && at(t.key) };
  return {
    ...c,
    baseDir,
    signingKey: at(c.signingKey),
    retiredKeys: c.retiredKeys && at(c.retiredKeys),
    pseudonymSecret: at(c.pseudonymSecret),
    stateDir: at(c.stateDir),
    nodes: c.nodes.map((n) => ({ ...n, jwks: at(n.jwks), tls: tlsAt(n.tls) })),
    researcherIssuers: c.researcherIssuers.map((i) => ('jwks' in i ? { ...i, jwks: at(i.jwks) } : i)),
    webRoot: c.webRoot && at(c.webRoot),
    nodeTls: tlsAt(c.nodeTls),
    access: { ...c.access, notifier: notifierAt(c.access.notifier, at) },
    tls: c.tls && { ...c.tls, cert: at(c.tls.cert), key: at(c.tls.key), ca: c.tls.ca && at(c.tls.ca) },
    nodeConnect: c.nodeConnect && {
      ...c.nodeConnect,
      tls: c.nodeConnect.tls && { ...c.nodeConnect.tls, cert: at(c.nodeConnect.tls.cert), key: at(c.nodeConnect.tls.key), ca: c.nodeConnect.tls.ca && at(c.nodeConnect.tls.ca) },
    },
    directory: c.directory && resolveDirectoryConfig(c.directory, baseDir),
  };
}

function notifierAt(notifier: z.infer<typeof NotifierSchema>, at: (p: string) => string): z.infer<typeof NotifierSchema> {
  if (notifier.kind === 'smtp' && notifier.auth) return { ...notifier, auth: { ...notifier.auth, passwordFile: at(notifier.auth.passwordFile) } };
  if (notifier.kind === 'webhook' && notifier.secretFile) return { ...notifier, secretFile: at(notifier.secretFile) };
  return notifier;
}

/** Reads and validates `coordinator.json` (or another file), with the overrides `env` (the process's by default) sets. */
export function loadCoordinatorConfig(file: string, env: Readonly<Record<string, string | undefined>> = process.env): CoordinatorConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', `cannot read coordinator config ${file}: ${(cause as Error).message}`, { cause });
  }
  return { ...parseCoordinatorConfig(raw, path.dirname(path.resolve(file)), env), file: path.resolve(file) };
}
