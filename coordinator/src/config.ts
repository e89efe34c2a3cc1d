import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BiospecError } from '@biospec/protocol';
import { DirectoryConfigSchema, resolveDirectoryConfig } from '@biospec/directory';
import { isRole } from '@biospec/registry';

/** A member endpoint saying the node has no address: it dials the coordinator (`nodeConnect`). */
export const CONNECT_OUT = 'connect-out';

const ClientTlsSchema = z
  .object({ ca: z.string().min(1).optional(), cert: z.string().min(1).optional(), key: z.string().min(1).optional() })
  .strict();

const MemberSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, at most 63'),
    name: z.string().min(1),
    /**
     * host:port of the node's gRPC server, or `connect-out` for a node with no listening port that
     * dials this coordinator's `nodeConnect` listener. A node with an address may connect out too:
     * while its link is up, it is asked over the link.
     */
    endpoint: z.union([z.literal(CONNECT_OUT), z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port or connect-out')]),
    /** JWKS file of the node's public signing keys (pinned). */
    jwks: z.string().min(1),
    /** TLS to this node; overrides `nodeTls`. */
    tls: ClientTlsSchema.optional(),
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
    name: z.string().min(1).max(100),
    clientId: z.string().min(1),
    authorizationEndpoint: z.url(),
    tokenEndpoint: z.url(),
    scope: z.string().min(1).default('openid profile email'),
    bearer: z.enum(['access_token', 'id_token']).default('access_token'),
  })
  .strict();
const registration = {
  unknownIdentities: z.enum(['link', 'auto']).default('link'),
  linkByVerifiedEmail: z.boolean().default(false),
  signIn: SignInSchema.optional(),
  /**
   * Where the provider's tokens say which groups or roles the caller holds (a claim, or a
   * dotted path such as `realm_access.roles`); with `roleMapping` turning each into a role
   * here (`"biobank-dac": "staff"`, `"nuh-stewards": "steward:northbridge-uh"`). Without
   * it, the provider's tokens grant no role beyond the researcher record's.
   */
  roleClaim: z.string().min(1).max(200).optional(),
  roleMapping: z.record(z.string(), z.string().refine(isRole, 'not a role (researcher, staff, steward:<node id>, operator:<node id>)')).optional(),
};
const IssuerSchema = z.union([
  z.object({ issuer: z.string().min(1), audience: z.string().min(1), jwks: z.string().min(1), ...registration }).strict(),
  z.object({ issuer: z.string().min(1), audience: z.string().min(1), jwksUri: z.url(), ...registration }).strict(),
]);

/** Who is told of access-workflow events, and how (docs/ACCESS.md, "Notifications"). */
const NotifierSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('log') }).strict(),
  z
    .object({
      kind: z.literal('smtp'),
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(587),
      secure: z.boolean().default(false),
      requireTls: z.boolean().default(false),
      from: z.string().min(3),
      /** The SMTP password is read from `passwordFile` (mode 0600), never kept in the config. */
      auth: z.object({ user: z.string().min(1), passwordFile: z.string().min(1) }).strict().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('webhook'),
      url: z.url(),
      /** File holding the shared secret that signs each body (`X-Biospec-Signature`). */
      secretFile: z.string().min(1).optional(),
      timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    })
    .strict(),
]);

/** The access workflow's settings. */
const AccessSchema = z
  .object({
    /** How long a grant is valid once a site approves. */
    grantLifetimeDays: z.number().min(0.001).max(366).default(30),
    /** A site still pending this long after staff approved a request (and between reminders) is reminded. */
    remindAfterHours: z.number().min(0.001).max(24 * 365).default(72),
    /** How often due reminders are looked for. */
    reminderCheckSeconds: z.number().int().min(1).max(86_400).default(3600),
    notifier: NotifierSchema.default({ kind: 'log' }),
  })
  .strict();

/** The coordinator's config file (`coordinator.json`). Paths are relative to the file. */
export const CoordinatorConfigSchema = z
  .object({
    /** `iss` of every query the coordinator signs; nodes see it. */
    coordinatorId: z.string().min(1).default('coordinator'),
    grpcListen: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port').default('127.0.0.1:50050'),
    httpListen: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port').default('127.0.0.1:8080'),
    /** Private signing key (JWK) used for queries and researcher tokens. */
    signingKey: z.string().default('coordinator-key.jwk.json'),
    /** Earlier public keys still published while nodes move to a new key (rotation). */
    retiredKeys: z.string().optional(),
    /** Secret that turns researcher records into the pseudonyms nodes see. */
    pseudonymSecret: z.string().default('pseudonym-secret'),
    /** Folder of the coordinator's own databases: researcher records (`people.db`) and its audit log (`audit.db` and its signed head `audit.db.head`). */
    stateDir: z.string().default('state'),
    nodes: z.array(MemberSchema).default([]),
    /** Who may sign researcher tokens. The coordinator itself always may (issuer = coordinatorId). */
    researcherIssuers: z.array(IssuerSchema).default([]),
    /** Folder of the web UI's static files, served under `/`; default: the built `@biospec/web` (`web/dist`). */
    webRoot: z.string().min(1).optional(),
    /** Audience of researcher tokens the coordinator issues. */
    researcherAudience: z.string().default('biospec-coordinator'),
    defaultDeadlineMs: z.number().int().min(100).max(120000).default(5000),
    queryLifetimeSeconds: z.number().int().min(10).max(300).default(120),
    rateLimits: z
      .array(z.object({ limit: z.number().int().min(1), windowSeconds: z.number().int().min(1) }).strict())
      .default([
        { limit: 10, windowSeconds: 60 },
        { limit: 200, windowSeconds: 36000 },
      ]),
    /** TLS for connections to nodes; mutual when cert and key are set. */
    nodeTls: ClientTlsSchema.optional(),
    /**
     * HTTP/2 keepalive on every connection to a node: a ping every `timeMs`, and a connection whose
     * ping is not answered within `timeoutMs` is closed, failing its queries as `unreachable` at once
     * instead of at their deadline. Nodes accept pings this often (`keepalive.minPingIntervalMs`, 5000 by default).
     */
    nodeKeepalive: z
      .object({
        timeMs: z.number().int().min(1000).max(3_600_000).default(5000),
        timeoutMs: z.number().int().min(100).max(600_000).default(5000),
      })
      .strict()
      .prefault({}),
    /**
     * Where nodes that connect out dial in (docs/PROTOCOL.md, "Connect-out"): its own gRPC server,
     * apart from the researcher-facing one, with its own TLS (set `requireClientCert` and `ca` for
     * mutual TLS with the nodes' certificates). Each connection is pinged every `nodeKeepalive.timeMs`.
     */
    nodeConnect: z
      .object({
        listen: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port'),
        tls: z
          .object({ cert: z.string().min(1), key: z.string().min(1), ca: z.string().min(1).optional(), requireClientCert: z.boolean().default(false) })
          .strict()
          .optional(),
        /** How long a dialling node has to answer the challenge, in milliseconds. */
        proofTimeoutMs: z.number().int().min(100).max(60_000).default(10_000),
      })
      .strict()
      .optional(),
    /** TLS for the researcher-facing servers, gRPC and REST alike. */
    tls: z
      .object({ cert: z.string().min(1), key: z.string().min(1), ca: z.string().min(1).optional(), requireClientCert: z.boolean().default(false) })
      .strict()
      .optional(),
    /**
     * The coordinator's public REST address (e.g. `https://coordinator.example.org`): grants
     * name their request by URL under it, and notifications link to it. Without it, grants
     * name a request `urn:biospec:<coordinator id>:request:<id>`.
     */
    publicUrl: z.url().optional(),
    access: AccessSchema.prefault({}),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** At start, a folder, database or secret that other users can read stops the coordinator (`refuse`) or is only logged (`warn`). */
    filePermissions: z.enum(['refuse', 'warn']).default('refuse'),
    /** The libp2p directory (signed descriptor gossip); off unless `directory.enabled`. */
    directory: DirectoryConfigSchema.optional(),
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

export function parseCoordinatorConfig(input: unknown, baseDir: string): CoordinatorConfig {
  const parsed = CoordinatorConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new BiospecError('INVALID_CONFIG', 'coordinator config is invalid', {
      issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message })),
    });
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

export function loadCoordinatorConfig(file: string): CoordinatorConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', `cannot read coordinator config ${file}: ${(cause as Error).message}`, { cause });
  }
  return { ...parseCoordinatorConfig(raw, path.dirname(path.resolve(file))), file: path.resolve(file) };
}
