import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { applyEnvOverrides, BiospecError, configIssues, type EnvOverride } from '@biospec/protocol/core';
import { parsePolicy, type DisclosurePolicy } from '@biospec/privacy/policy';
import { DirectoryConfigSchema, resolveDirectoryConfig } from '@biospec/directory/config';

const TlsSchema = z
  .object({
    cert: z.string().min(1).describe('PEM certificate chain the node serves gRPC with.'),
    key: z.string().min(1).describe('PEM private key of that certificate.'),
    ca: z.string().min(1).optional().describe('PEM CA whose client certificates are accepted (mutual TLS).'),
    requireClientCert: z.boolean().default(false).describe('Refuse clients without a certificate signed by `ca` (mutual TLS); needs `ca`.'),
  })
  .strict();

/**
 * How much work the node takes on (docs/PROTOCOL.md, "Load"): questions computed at once,
 * questions waiting for them, and questions in flight on one coordinator stream.
 */
const AdmissionSchema = z
  .object({
    concurrent: z.number().int().min(1).max(4096).default(64).describe('Questions computed at once, node-wide.'),
    queued: z.number().int().min(0).max(100_000).default(1024).describe('Questions waiting for a free slot, node-wide; a question that would wait past its deadline is refused at once anyway.'),
    perStream: z.number().int().min(1).max(100_000).default(256).describe('Questions in flight on one CountStream; more are refused at once (BUSY).'),
  })
  .strict();

/** HTTP/2 keepalive: the coordinator pings each node's connection to notice a dropped one in seconds. */
const KeepaliveSchema = z
  .object({
    minPingIntervalMs: z.number().int().min(1000).max(3_600_000).default(5000).describe('The shortest interval between a client\'s pings the node accepts, in milliseconds; keep it at or below the coordinators\' `nodeKeepalive.timeMs`. grpc-js does not police pings itself; C-core servers and proxies in front of the node read the same setting.'),
  })
  .strict();

/**
 * Who may decide on the questions a node holds (policy `release: "hold"`). Off by default: a
 * steward then decides only on the node's machine (`biospec node holds`). On, the node also
 * lists and decides for a steward who signs in at the coordinator, trusting the coordinator's
 * registry to say who stewards this node.
 */
const HoldsSchema = z
  .object({
    decisionsFromCoordinator: z
      .boolean()
      .default(false)
      .describe(
        'List held questions (without their figures) to, and take release and decline decisions from, stewards of this node who work in the coordinator\'s web UI or REST API: each request signed by a pinned coordinator key for this node, with the role `steward:<nodeId>` the coordinator gives them (its registry, or an identity provider\'s role mapping), used once, and audited here. Off: only `biospec node holds` on this machine (docs/PRIVACY.md, "Hold mode").',
      ),
  })
  .strict();

const HOST_PORT = /^[^\s:]+:\d{1,5}$/;

/**
 * Connect-out (docs/PROTOCOL.md, "Connect-out"): the node dials its coordinator and answers its
 * queries over that connection, for an institution that allows no inbound connection.
 */
const ConnectOutSchema = z
  .object({
    coordinator: z.string().regex(HOST_PORT, 'host:port').describe('host:port of the coordinator\'s connect listener (its `nodeConnect.listen`).'),
    tls: z
      .object({
        ca: z.string().min(1).optional().describe('PEM CA that verifies the coordinator\'s certificate.'),
        cert: z.string().min(1).optional().describe('PEM certificate presented for mutual TLS.'),
        key: z.string().min(1).optional().describe('PEM private key of `cert`.'),
      })
      .strict()
      .optional()
      .describe('TLS to the coordinator; plaintext without it (loopback and tests only).'),
    keepalive: z
      .object({
        timeMs: z.number().int().min(1000).max(3_600_000).default(5000).describe('A ping every this many milliseconds.'),
        timeoutMs: z.number().int().min(100).max(600_000).default(5000).describe('The connection is dropped when a ping is not answered within this many milliseconds.'),
      })
      .strict()
      .prefault({})
      .describe('HTTP/2 keepalive of this connection, so a dropped one is noticed in seconds on this side too.'),
    backoff: z
      .object({
        initialMs: z.number().int().min(10).max(600_000).default(1000).describe('The first wait after a failed attempt.'),
        maxMs: z.number().int().min(10).max(3_600_000).default(30_000).describe('The longest wait between attempts.'),
      })
      .strict()
      .prefault({})
      .describe('Waits between attempts: capped exponential backoff with jitter.'),
  })
  .strict();

/** The node's config file (`node.json`), as written by `biospec node init`. Paths are relative to the file. */
export const NodeConfigSchema = z
  .object({
    nodeId: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, at most 63')
      .describe('The node\'s id: the `aud` of every query signed for it, and the id its answers and audit checkpoints carry.'),
    name: z.string().min(1).max(200).describe('The institution\'s name, shown to researchers.'),
    listen: z
      .string()
      .regex(HOST_PORT, 'host:port')
      .nullable()
      .optional()
      .describe('host:port of the gRPC server; port 0 picks a free one. `null`: no listening port at all (a connect-out node). Absent: 127.0.0.1:50051, or no port when `connectOut` is set.'),
    connectOut: ConnectOutSchema.optional().describe('Dial the coordinator and answer its queries over that connection (docs/PROTOCOL.md, "Connect-out"); with `listen` too, the node serves both ways.'),
    httpListen: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port').optional().describe('host:port of the plain-HTTP listener for `/healthz`, `/readyz` and `/metrics` (probes and Prometheus), separate from the gRPC port; off when absent.'),
    catalogue: z.string().default('catalogue.db').describe('The specimen catalogue (SQLite).'),
    signingKey: z.string().default('node-key.jwk.json').describe('This node\'s private signing key (JWK); `kid` selects it.'),
    noiseSecret: z.string().default('noise-secret').describe('Secret behind the deterministic noise; never leaves the node.'),
    coordinatorKeys: z.string().default('coordinator.jwks.json').describe('JWKS of the coordinator keys this node accepts queries from (pinned).'),
    coordinatorIds: z.array(z.string().min(1).max(512)).min(1).default(['coordinator']).describe('The `iss` a query token must carry: the coordinator ids (their `coordinatorId`) this node answers. The pinned keys decide who signed; this decides as whom.'),
    stateDir: z.string().default('state').describe('Folder for the replay cache, budget ledger, hold queue, rate-limit windows, audit log and access state (published collections, revocation lists).'),
    policy: z.unknown().optional(),
    holds: HoldsSchema.prefault({}).describe('Who decides on held questions besides `biospec node holds` on this machine (docs/PRIVACY.md, "Hold mode").'),
    tls: TlsSchema.optional().describe('TLS for the gRPC server (docs/SECURITY.md); plain gRPC when absent.'),
    maxMessageBytes: z.number().int().min(1024).max(4 * 1024 * 1024).default(64 * 1024).describe('Largest gRPC message accepted, in bytes; queries are small, so this stays small.'),
    admission: AdmissionSchema.prefault({}).describe('How much work the node takes on (docs/PROTOCOL.md, "Load").'),
    keepalive: KeepaliveSchema.prefault({}).describe('HTTP/2 keepalive pings the node accepts from coordinators.'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Least severe level logged (JSON lines on stderr).'),
    filePermissions: z.enum(['refuse', 'warn']).default('refuse').describe('At start, a folder, database or secret that other users can read stops the node (`refuse`) or is only logged (`warn`).'),
    directory: DirectoryConfigSchema.optional().describe('The libp2p directory (signed descriptor gossip); off unless `directory.enabled`.'),
    fhirLenient: z.boolean().default(false).describe('`biospec node import` of FHIR: import what maps and quarantine the rest (true), or all-or-nothing (false).'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.tls?.requireClientCert && c.tls.ca === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'ca'], message: 'requireClientCert needs ca: the CA whose client certificates are accepted' });
    }
    if (c.listen === null && c.connectOut === undefined) {
      ctx.addIssue({ code: 'custom', path: ['listen'], message: 'a node with no listening port needs connectOut, or nobody can ask it anything' });
    }
    const mtls = c.connectOut?.tls;
    if (mtls && (mtls.cert === undefined) !== (mtls.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['connectOut', 'tls'], message: 'cert and key go together (mutual TLS)' });
    }
  });

/** A node config with every path resolved and the policy parsed. */
export type NodeConfig = Omit<z.infer<typeof NodeConfigSchema>, 'policy' | 'listen'> & {
  /** host:port of the gRPC server, or null when the node listens on no port (connect-out only). */
  listen: string | null;
  policy: DisclosurePolicy;
  /** Folder of the config file; every relative path above was resolved against it. */
  baseDir: string;
};

/** Where a node listens when its config names no address and it does not connect out. */
export const DEFAULT_LISTEN = '127.0.0.1:50051';

/**
 * The keys of `node.json` an environment variable may set, for container platforms and
 * systemd units (docs/CONFIG.md): listen addresses, log level, paths. Relative paths are
 * resolved against the config file's folder, as the file's own are.
 */
export const NODE_ENV_OVERRIDES: readonly EnvOverride[] = [
  { env: 'BIOSPEC_NODE_LISTEN', path: ['listen'] },
  { env: 'BIOSPEC_NODE_HTTP_LISTEN', path: ['httpListen'] },
  { env: 'BIOSPEC_NODE_LOG_LEVEL', path: ['logLevel'] },
  { env: 'BIOSPEC_NODE_CATALOGUE', path: ['catalogue'] },
  { env: 'BIOSPEC_NODE_STATE_DIR', path: ['stateDir'] },
  { env: 'BIOSPEC_NODE_SIGNING_KEY', path: ['signingKey'] },
  { env: 'BIOSPEC_NODE_NOISE_SECRET', path: ['noiseSecret'] },
  { env: 'BIOSPEC_NODE_COORDINATOR_KEYS', path: ['coordinatorKeys'] },
];

/**
 * Validates a parsed config object, with the environment's overrides applied (none unless
 * given); reports every problem at once, the policy's included, each with the full path of
 * its field (`policy.rounding`).
 */
export function parseNodeConfig(input: unknown, baseDir: string, env: Readonly<Record<string, string | undefined>> = {}): NodeConfig {
  const { value, fromEnv } = applyEnvOverrides(input, env, NODE_ENV_OVERRIDES);
  const parsed = NodeConfigSchema.safeParse(value);
  const issues = parsed.success ? [] : configIssues(parsed.error.issues, { fromEnv });
  let policy: DisclosurePolicy | undefined;
  try {
    policy = parsePolicy((value as { policy?: unknown } | null)?.policy ?? {});
  } catch (error) {
    if (!(error instanceof BiospecError)) throw error;
    issues.push(...error.issues.map((i) => ({ ...i, field: i.field === undefined || i.field === '(root)' ? 'policy' : `policy.${i.field}` })));
  }
  if (!parsed.success || policy === undefined) throw new BiospecError('INVALID_CONFIG', 'node config is invalid', { issues });
  const c = parsed.data;
  const at = (p: string) => path.resolve(baseDir, p);
  return {
    ...c,
    baseDir,
    listen: c.listen === undefined ? (c.connectOut ? null : DEFAULT_LISTEN) : c.listen,
    catalogue: at(c.catalogue),
    signingKey: at(c.signingKey),
    noiseSecret: at(c.noiseSecret),
    coordinatorKeys: at(c.coordinatorKeys),
    stateDir: at(c.stateDir),
    policy,
    tls: c.tls && { ...c.tls, cert: at(c.tls.cert), key: at(c.tls.key), ca: c.tls.ca && at(c.tls.ca) },
    directory: c.directory && resolveDirectoryConfig(c.directory, baseDir),
    connectOut: c.connectOut && {
      ...c.connectOut,
      tls: c.connectOut.tls && { ...c.connectOut.tls, ca: c.connectOut.tls.ca && at(c.connectOut.tls.ca), cert: c.connectOut.tls.cert && at(c.connectOut.tls.cert), key: c.connectOut.tls.key && at(c.connectOut.tls.key) },
    },
  };
}

/** Reads and validates `node.json` (or another file), with the overrides `env` (the process's by default) sets. */
export function loadNodeConfig(file: string, env: Readonly<Record<string, string | undefined>> = process.env): NodeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', `cannot read node config ${file}: ${(cause as Error).message}`, { cause });
  }
  return parseNodeConfig(raw, path.dirname(path.resolve(file)), env);
}
