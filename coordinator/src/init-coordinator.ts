import { createPublicKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BiospecError, createPrivateFile, makePrivateDir } from '@biospec/protocol';
import { createSqlitePeople, type PeopleRepository, type Person, type Role } from '@biospec/registry';
import { generateSigningKey, importSigningKey, issueResearcherToken } from '@biospec/trust';
import { createPostgresPeople, createPostgresPool } from '@biospec/postgres';
import { loadCoordinatorConfig, parseCoordinatorConfig } from './config.js';
import { COORDINATOR_FILES } from './coordinator-files.js';
import { peopleFile } from './coordinator-state.js';

export { COORDINATOR_FILES };

export interface InitCoordinatorOptions {
  coordinatorId?: string;
  grpcListen?: string;
  httpListen?: string;
  /** Where nodes that connect out dial in (`nodeConnect.listen`); no such listener without it. */
  nodeConnectListen?: string;
  /** Per-researcher query limits; {@link DEFAULT_COORDINATOR_RATE_LIMITS} when absent. */
  rateLimits?: { limit: number; windowSeconds: number }[];
}

/**
 * The coordinator's own limits on each researcher's questions (SHRINE's: 10 a minute, 200 in
 * 10 hours), on top of every node's. `coordinator init` writes them into `coordinator.json`, so
 * they can be seen and changed there; `biospec nodes` shows them.
 */
export const DEFAULT_COORDINATOR_RATE_LIMITS: readonly { limit: number; windowSeconds: number }[] = parseCoordinatorConfig({}, '.').rateLimits;

/** Refuses a folder that holds a coordinator or anything else; returns whether it exists (empty). */
function checkNewFolder(dir: string): boolean {
  const config = path.join(dir, COORDINATOR_FILES.config);
  if (fs.existsSync(config)) throw new BiospecError('ALREADY_EXISTS', `${config} already exists; refusing to overwrite a coordinator`);
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) return false;
  if (!stat.isDirectory()) throw new BiospecError('ALREADY_EXISTS', `${dir} is a file; a coordinator needs a folder of its own`);
  if (fs.readdirSync(dir).length > 0) throw new BiospecError('ALREADY_EXISTS', `${dir} is not empty; a coordinator needs a folder of its own (a new or empty one)`);
  return true;
}

/**
 * Creates a coordinator folder: key pair, pseudonym secret and `coordinator.json` with its rate
 * limits and no members yet. The settings are checked first, so bad input writes nothing; a
 * failure while writing removes what was written.
 */
export async function initCoordinatorDir(dir: string, options: InitCoordinatorOptions = {}): Promise<{ config: string; publicKeys: string }> {
  const existed = checkNewFolder(dir);
  const body = {
    coordinatorId: options.coordinatorId ?? 'coordinator',
    grpcListen: options.grpcListen ?? '127.0.0.1:50050',
    httpListen: options.httpListen ?? '127.0.0.1:8080',
    ...(options.nodeConnectListen ? { nodeConnect: { listen: options.nodeConnectListen } } : {}),
    rateLimits: options.rateLimits ?? DEFAULT_COORDINATOR_RATE_LIMITS,
    nodes: [],
  };
  parseCoordinatorConfig(body, path.resolve(dir));
  const config = path.join(dir, COORDINATOR_FILES.config);
  try {
    // Only the coordinator's user may enter: its key, pseudonym secret and audit log live here.
    makePrivateDir(dir);
    if (existed) fs.chmodSync(dir, 0o700);
    makePrivateDir(path.join(dir, COORDINATOR_FILES.nodesDir));
    makePrivateDir(path.join(dir, COORDINATOR_FILES.stateDir));
    createPrivateFile(path.join(dir, COORDINATOR_FILES.stateDir, 'audit.db'));
    const { privateJwk, publicJwk } = await generateSigningKey();
    fs.writeFileSync(path.join(dir, COORDINATOR_FILES.signingKey), JSON.stringify(privateJwk, null, 2), { mode: 0o600 });
    fs.writeFileSync(path.join(dir, COORDINATOR_FILES.publicKeys), JSON.stringify({ keys: [publicJwk] }, null, 2));
    fs.writeFileSync(path.join(dir, COORDINATOR_FILES.pseudonymSecret), randomBytes(32), { mode: 0o600 });
    // Last, so a folder with coordinator.json is always a whole coordinator.
    fs.writeFileSync(config, JSON.stringify(body, null, 2) + '\n');
  } catch (error) {
    if (existed) for (const entry of fs.readdirSync(dir)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    else fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { config, publicKeys: path.join(dir, COORDINATOR_FILES.publicKeys) };
}

export interface AddMemberOptions {
  id: string;
  name: string;
  endpoint: string;
  /** JWKS file with the node's public keys, as published by the node (`node.jwks.json`). */
  jwksFile: string;
}

/** Checks a node's public keys file: a JWKS of Ed25519 public keys, each with a kid; returns its text. */
function readNodeKeys(file: string): string {
  if (!fs.existsSync(file)) {
    throw new BiospecError('NOT_FOUND', `node keys ${file} do not exist; they come from the node's operator (the node.jwks.json that \`biospec node init\` wrote)`);
  }
  const text = fs.readFileSync(file, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', `cannot read node keys ${file}: ${(cause as Error).message}`, { cause });
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new BiospecError('INVALID_CONFIG', `node keys ${file} is not a JWKS with a key: expected {"keys": [...]}`);
  keys.forEach((jwk: unknown, i) => {
    const key = (jwk ?? {}) as Record<string, unknown>;
    const problem =
      'd' in key
        ? "is a private key (give the node's public keys, its node.jwks.json)"
        : typeof key.kid !== 'string' || key.kid === ''
          ? 'has no kid'
          : key.kty !== 'OKP' || key.crv !== 'Ed25519' || !isPublicKey(key)
            ? 'is not an Ed25519 public key'
            : undefined;
    if (problem !== undefined) throw new BiospecError('INVALID_CONFIG', `node keys ${file}: keys[${i}] ${problem}`);
  });
  return text;
}

function isPublicKey(jwk: Record<string, unknown>): boolean {
  try {
    createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string }, format: 'jwk' });
    return true;
  } catch {
    return false;
  }
}

/** Writes `file` whole or not at all: a sibling temporary file renamed over it. */
function writeWhole(file: string, text: string): string {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text);
  return temporary;
}

/**
 * Admits a node: pins a copy of its public keys and adds it to `coordinator.json` (replacing an
 * entry with the same id). The keys and the new config are checked first; then both files are
 * replaced whole, so a refusal leaves the coordinator as it was.
 */
export function addMember(dir: string, member: AddMemberOptions): void {
  const configFile = path.join(dir, COORDINATOR_FILES.config);
  loadCoordinatorConfig(configFile);
  const keys = readNodeKeys(member.jwksFile);
  const pinned = path.join(COORDINATOR_FILES.nodesDir, `${member.id}.jwks.json`);
  const raw = JSON.parse(fs.readFileSync(configFile, 'utf8')) as { nodes?: { id: string }[] };
  const existing = (raw.nodes ?? []).find((n) => n.id === member.id);
  const nodes = (raw.nodes ?? []).filter((n) => n.id !== member.id);
  // Re-admitting a node (new endpoint or rotated keys) keeps settings such as its TLS block.
  nodes.push({ ...existing, id: member.id, name: member.name, endpoint: member.endpoint, jwks: pinned } as { id: string });
  const next = { ...raw, nodes };
  parseCoordinatorConfig(next, path.dirname(path.resolve(configFile)));
  fs.mkdirSync(path.join(dir, COORDINATOR_FILES.nodesDir), { recursive: true, mode: 0o700 });
  const keysFile = path.join(dir, pinned);
  const stagedKeys = writeWhole(keysFile, keys);
  const stagedConfig = writeWhole(configFile, JSON.stringify(next, null, 2) + '\n');
  fs.renameSync(stagedKeys, keysFile);
  fs.renameSync(stagedConfig, configFile);
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
