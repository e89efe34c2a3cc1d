import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BiospecError, createPrivateFile, makePrivateDir } from '@biospec/protocol';
import { createSqlitePeople, type PeopleRepository, type Person, type Role } from '@biospec/registry';
import { generateSigningKey, importSigningKey, issueResearcherToken } from '@biospec/trust';
import { createPostgresPeople, createPostgresPool } from '@biospec/postgres';
import { loadCoordinatorConfig } from './config.js';
import { peopleFile } from './coordinator-state.js';

/** Files `initCoordinatorDir` writes, relative to the coordinator folder. */
export const COORDINATOR_FILES = {
  config: 'coordinator.json',
  signingKey: 'coordinator-key.jwk.json',
  publicKeys: 'coordinator.jwks.json',
  pseudonymSecret: 'pseudonym-secret',
  nodesDir: 'nodes',
  stateDir: 'state',
} as const;

export interface InitCoordinatorOptions {
  coordinatorId?: string;
  grpcListen?: string;
  httpListen?: string;
  /** Per-researcher query limits; the config's defaults (SHRINE's 10 a minute, 200 in 10 hours) when absent. */
  rateLimits?: { limit: number; windowSeconds: number }[];
}

/** Creates a coordinator folder: key pair, pseudonym secret and `coordinator.json` with no members yet. */
export async function initCoordinatorDir(dir: string, options: InitCoordinatorOptions = {}): Promise<{ config: string; publicKeys: string }> {
  const config = path.join(dir, COORDINATOR_FILES.config);
  if (fs.existsSync(config)) throw new BiospecError('ALREADY_EXISTS', `${config} already exists; refusing to overwrite a coordinator`);
  // Only the coordinator's user may enter: its key, pseudonym secret and audit log live here.
  makePrivateDir(dir);
  makePrivateDir(path.join(dir, COORDINATOR_FILES.nodesDir));
  makePrivateDir(path.join(dir, COORDINATOR_FILES.stateDir));
  createPrivateFile(path.join(dir, COORDINATOR_FILES.stateDir, 'audit.db'));
  const { privateJwk, publicJwk } = await generateSigningKey();
  fs.writeFileSync(path.join(dir, COORDINATOR_FILES.signingKey), JSON.stringify(privateJwk, null, 2), { mode: 0o600 });
  fs.writeFileSync(path.join(dir, COORDINATOR_FILES.publicKeys), JSON.stringify({ keys: [publicJwk] }, null, 2));
  fs.writeFileSync(path.join(dir, COORDINATOR_FILES.pseudonymSecret), randomBytes(32), { mode: 0o600 });
  const body = {
    coordinatorId: options.coordinatorId ?? 'coordinator',
    grpcListen: options.grpcListen ?? '127.0.0.1:50050',
    httpListen: options.httpListen ?? '127.0.0.1:8080',
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    nodes: [],
  };
  fs.writeFileSync(config, JSON.stringify(body, null, 2) + '\n');
  return { config, publicKeys: path.join(dir, COORDINATOR_FILES.publicKeys) };
}

export interface AddMemberOptions {
  id: string;
  name: string;
  endpoint: string;
  /** JWKS file with the node's public keys, as published by the node (`node.jwks.json`). */
  jwksFile: string;
}

/** Admits a node: pins a copy of its public keys and adds it to `coordinator.json` (replacing an entry with the same id). */
export function addMember(dir: string, member: AddMemberOptions): void {
  const configFile = path.join(dir, COORDINATOR_FILES.config);
  loadCoordinatorConfig(configFile);
  const pinned = path.join(COORDINATOR_FILES.nodesDir, `${member.id}.jwks.json`);
  fs.mkdirSync(path.join(dir, COORDINATOR_FILES.nodesDir), { recursive: true });
  fs.copyFileSync(member.jwksFile, path.join(dir, pinned));
  const raw = JSON.parse(fs.readFileSync(configFile, 'utf8')) as { nodes?: { id: string }[] };
  const existing = (raw.nodes ?? []).find((n) => n.id === member.id);
  const nodes = (raw.nodes ?? []).filter((n) => n.id !== member.id);
  // Re-admitting a node (new endpoint or rotated keys) keeps settings such as its TLS block.
  nodes.push({ ...existing, id: member.id, name: member.name, endpoint: member.endpoint, jwks: pinned } as { id: string });
  fs.writeFileSync(configFile, JSON.stringify({ ...raw, nodes }, null, 2) + '\n');
  loadCoordinatorConfig(configFile);
}

/**
 * Opens the coordinator's researcher records (its `state/people.db`, or the PostgreSQL database
 * its config names), for commands run beside or instead of the service.
 */
export async function openPeople(dir: string): Promise<PeopleRepository> {
  const config = loadCoordinatorConfig(path.join(dir, COORDINATOR_FILES.config));
  if (config.database) {
    const pool = createPostgresPool(config.database.url, { applicationName: 'biospec cli' });
    try {
      return await createPostgresPeople(pool, { ownsPool: true });
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }
  makePrivateDir(config.stateDir);
  const file = peopleFile(config);
  createPrivateFile(file);
  return createSqlitePeople(file);
}

/**
 * Registers a researcher (a new record, or the one this subject is already
 * linked to, or the one with this e-mail) and issues a bearer token for
 * them, signed with the coordinator's key. The record's roles become the token's.
 */
export async function issueResearcher(
  dir: string,
  input: { subject: string; name?: string; email?: string; days?: number; roles?: Role[] },
): Promise<{ token: string; person: Person }> {
  const config = loadCoordinatorConfig(path.join(dir, COORDINATOR_FILES.config));
  const key = await importSigningKey(JSON.parse(fs.readFileSync(config.signingKey, 'utf8')));
  const people = await openPeople(dir);
  try {
    const identity = { issuer: config.coordinatorId, subject: input.subject };
    let person = (await people.findByIdentity(identity)) ?? (input.email ? await people.findByEmail(input.email) : undefined);
    person ??= await people.create({ ...(input.name ? { name: input.name } : {}), ...(input.email ? { email: input.email } : {}) });
    await people.link(person.id, identity, 'researcher add');
    if (input.roles) person = await people.setRoles(person.id, input.roles);
    const token = await issueResearcherToken(
      {
        subject: input.subject,
        ...(input.name ? { name: input.name } : {}),
        roles: person.roles,
        issuer: config.coordinatorId,
        audience: config.researcherAudience,
        lifetimeSeconds: Math.round((input.days ?? 30) * 86400),
      },
      key,
    );
    return { token, person };
  } finally {
    await people.close();
  }
}
