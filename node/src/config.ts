import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BiospecError } from '@biospec/protocol';
import { parsePolicy, type DisclosurePolicy } from '@biospec/privacy';
import { DirectoryConfigSchema, resolveDirectoryConfig } from '@biospec/directory';

const TlsSchema = z
  .object({
    cert: z.string().min(1),
    key: z.string().min(1),
    ca: z.string().min(1).optional(),
    requireClientCert: z.boolean().default(false),
  })
  .strict();

/**
 * How much work the node takes on (docs/PROTOCOL.md, "Load"): questions computed at once,
 * questions waiting for them, and questions in flight on one coordinator stream.
 */
const AdmissionSchema = z
  .object({
    /** Questions computed at once, node-wide. */
    concurrent: z.number().int().min(1).max(4096).default(64),
    /** Questions waiting for a free slot, node-wide; a question that would wait past its deadline is refused at once anyway. */
    queued: z.number().int().min(0).max(100_000).default(1024),
    /** Questions in flight on one CountStream; more are refused at once (BUSY). */
    perStream: z.number().int().min(1).max(100_000).default(256),
  })
  .strict();

/** HTTP/2 keepalive: the coordinator pings each node's connection to notice a dropped one in seconds. */
const KeepaliveSchema = z
  .object({
    /**
     * The shortest interval between a client's pings the node accepts, in milliseconds; keep it at or below
     * the coordinators' `nodeKeepalive.timeMs`. grpc-js does not police pings itself; C-core servers and
     * proxies in front of the node read the same setting.
     */
    minPingIntervalMs: z.number().int().min(1000).max(3_600_000).default(5000),
  })
  .strict();

const HOST_PORT = /^[^\s:]+:\d{1,5}$/;

/**
 * Connect-out (docs/PROTOCOL.md, "Connect-out"): the node dials its coordinator and answers its
 * queries over that connection, for an institution that allows no inbound connection.
 */
const ConnectOutSchema = z
  .object({
    /** host:port of the coordinator's connect listener (its `nodeConnect.listen`). */
    coordinator: z.string().regex(HOST_PORT, 'host:port'),
    /** TLS to the coordinator: `ca` verifies its certificate; `cert` and `key` are presented for mutual TLS. Plaintext without it (loopback and tests only). */
    tls: z.object({ ca: z.string().min(1).optional(), cert: z.string().min(1).optional(), key: z.string().min(1).optional() }).strict().optional(),
    /** HTTP/2 keepalive of this connection, so a dropped one is noticed in seconds on this side too. */
    keepalive: z
      .object({
        timeMs: z.number().int().min(1000).max(3_600_000).default(5000),
        timeoutMs: z.number().int().min(100).max(600_000).default(5000),
      })
      .strict()
      .prefault({}),
    /** Waits between attempts: capped exponential backoff with jitter. */
    backoff: z
      .object({
        initialMs: z.number().int().min(10).max(600_000).default(1000),
        maxMs: z.number().int().min(10).max(3_600_000).default(30_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** The node's config file (`node.json`), as written by `biospec node init`. Paths are relative to the file. */
export const NodeConfigSchema = z
  .object({
    nodeId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, at most 63'),
    name: z.string().min(1).max(200),
    /**
     * host:port of the gRPC server; port 0 picks a free one. `null`: no listening port at all (a
     * connect-out node). Absent: 127.0.0.1:50051, or no port when `connectOut` is set.
     */
    listen: z.string().regex(HOST_PORT, 'host:port').nullable().optional(),
    /** Dial the coordinator and answer its queries over that connection; with `listen` too, the node serves both ways. */
    connectOut: ConnectOutSchema.optional(),
    catalogue: z.string().default('catalogue.db'),
    /** This node's private signing key (JWK); `kid` selects it. */
    signingKey: z.string().default('node-key.jwk.json'),
    /** Secret behind the deterministic noise; never leaves the node. */
    noiseSecret: z.string().default('noise-secret'),
    /** JWKS of the coordinator keys this node accepts queries from (pinned). */
    coordinatorKeys: z.string().default('coordinator.jwks.json'),
    /**
     * The `iss` a query token must carry: the coordinator ids (their `coordinatorId`) this
     * node answers. The pinned keys decide who signed; this decides as whom.
     */
    coordinatorIds: z.array(z.string().min(1).max(512)).min(1).default(['coordinator']),
    /** Folder for the replay cache, budget ledger, hold queue and audit log. */
    stateDir: z.string().default('state'),
    policy: z.unknown().optional(),
    tls: TlsSchema.optional(),
    /** Largest gRPC message accepted, in bytes; queries are small, so this stays small. */
    maxMessageBytes: z.number().int().min(1024).max(4 * 1024 * 1024).default(64 * 1024),
    admission: AdmissionSchema.prefault({}),
    keepalive: KeepaliveSchema.prefault({}),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** At start, a folder, database or secret that other users can read stops the node (`refuse`) or is only logged (`warn`). */
    filePermissions: z.enum(['refuse', 'warn']).default('refuse'),
    /** The libp2p directory (signed descriptor gossip); off unless `directory.enabled`. */
    directory: DirectoryConfigSchema.optional(),
    /** `biospec node import` of FHIR: import what maps and quarantine the rest (true), or all-or-nothing (false). */
    fhirLenient: z.boolean().default(false),
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

/** Validates a parsed config object; reports every problem at once. */
export function parseNodeConfig(input: unknown, baseDir: string): NodeConfig {
  const parsed = NodeConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new BiospecError('INVALID_CONFIG', 'node config is invalid', {
      issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message })),
    });
  }
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
    policy: parsePolicy(c.policy ?? {}),
    tls: c.tls && { ...c.tls, cert: at(c.tls.cert), key: at(c.tls.key), ca: c.tls.ca && at(c.tls.ca) },
    directory: c.directory && resolveDirectoryConfig(c.directory, baseDir),
    connectOut: c.connectOut && {
      ...c.connectOut,
      tls: c.connectOut.tls && { ...c.connectOut.tls, ca: c.connectOut.tls.ca && at(c.connectOut.tls.ca), cert: c.connectOut.tls.cert && at(c.connectOut.tls.cert), key: c.connectOut.tls.key && at(c.connectOut.tls.key) },
    },
  };
}

/** Reads and validates `node.json` (or another file). */
export function loadNodeConfig(file: string): NodeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', `cannot read node config ${file}: ${(cause as Error).message}`, { cause });
  }
  return parseNodeConfig(raw, path.dirname(path.resolve(file)));
}
