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

/** The node's config file (`node.json`), as written by `biospec node init`. Paths are relative to the file. */
export const NodeConfigSchema = z
  .object({
    nodeId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, at most 63'),
    name: z.string().min(1).max(200),
    /** host:port of the gRPC server; port 0 picks a free one. */
    listen: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port').default('127.0.0.1:50051'),
    /**
     * host:port of the plain-HTTP listener for `/healthz`, `/readyz` and `/metrics` (probes and
     * Prometheus), separate from the gRPC port; off when absent.
     */
    httpListen: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port').optional(),
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
  });

/** A node config with every path resolved and the policy parsed. */
export type NodeConfig = Omit<z.infer<typeof NodeConfigSchema>, 'policy'> & {
  policy: DisclosurePolicy;
  /** Folder of the config file; every relative path above was resolved against it. */
  baseDir: string;
};

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
    catalogue: at(c.catalogue),
    signingKey: at(c.signingKey),
    noiseSecret: at(c.noiseSecret),
    coordinatorKeys: at(c.coordinatorKeys),
    stateDir: at(c.stateDir),
    policy: parsePolicy(c.policy ?? {}),
    tls: c.tls && { ...c.tls, cert: at(c.tls.cert), key: at(c.tls.key), ca: c.tls.ca && at(c.tls.ca) },
    directory: c.directory && resolveDirectoryConfig(c.directory, baseDir),
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
