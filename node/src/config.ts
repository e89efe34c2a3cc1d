import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BiospecError } from '@biospec/protocol';
import { parsePolicy, type DisclosurePolicy } from '@biospec/privacy';

const TlsSchema = z
  .object({
    cert: z.string().min(1),
    key: z.string().min(1),
    ca: z.string().min(1).optional(),
    requireClientCert: z.boolean().default(false),
  })
  .strict();

/** The node's config file (`node.json`), as written by `biospec node init`. Paths are relative to the file. */
export const NodeConfigSchema = z
  .object({
    nodeId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, at most 63'),
    name: z.string().min(1).max(200),
    /** host:port of the gRPC server; port 0 picks a free one. */
    listen: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port').default('127.0.0.1:50051'),
    catalogue: z.string().default('catalogue.db'),
    /** This node's private signing key (JWK); `kid` selects it. */
    signingKey: z.string().default('node-key.jwk.json'),
    /** Secret behind the deterministic noise; never leaves the node. */
    noiseSecret: z.string().default('noise-secret'),
    /** JWKS of the coordinator keys this node accepts queries from (pinned). */
    coordinatorKeys: z.string().default('coordinator.jwks.json'),
    /** Folder for the replay cache, budget ledger, hold queue and audit log. */
    stateDir: z.string().default('state'),
    policy: z.unknown().optional(),
    tls: TlsSchema.optional(),
    /** Largest gRPC message accepted, in bytes; queries are small, so this stays small. */
    maxMessageBytes: z.number().int().min(1024).max(4 * 1024 * 1024).default(64 * 1024),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `biospec node import` of FHIR: import what maps and quarantine the rest (true), or all-or-nothing (false). */
    fhirLenient: z.boolean().default(false),
  })
  .strict();

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
