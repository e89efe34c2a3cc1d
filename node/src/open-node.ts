import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import {
  BiospecError,
  checkPrivatePermissions,
  createPrivateFile,
  makePrivateDir,
  readJsonFile,
  type DescribeResponse,
} from '@biospec/protocol';
import { openCatalogue, type Catalogue } from '@biospec/catalogue';
import { createBudgetLedger, createHoldQueue, createRateLimiter, type HoldQueue } from '@biospec/privacy';
import {
  createAuditLog,
  createKeyRing,
  createReplayCache,
  defaultHeadFile,
  importSigningKey,
  type AuditLog,
  type KeyRing,
  type SigningKey,
} from '@biospec/trust';
import type { NodeConfig } from './config.js';
import { createCountPipeline, type CountPipeline } from './count-pipeline.js';
import { loadPinnedKeys } from './pinned-keys.js';

/** A node's parts, opened from its config: what the gRPC server and the CLI work with. */
export interface OpenNode {
  config: NodeConfig;
  catalogue: Catalogue;
  holds: HoldQueue;
  audit: AuditLog;
  signingKey: SigningKey;
  pipeline: CountPipeline;
  logger: Logger;
  describe(): DescribeResponse;
  close(): void;
}

/**
 * Describe needs no signed query, so it only gives the catalogue size to the
 * nearest hundred: enough to show a node's scale, too coarse to follow single withdrawals.
 */
function coarseSize(size: number): number {
  return Math.round(size / 100) * 100;
}

/** The files under a node's state folder. */
export function nodeStateFiles(config: NodeConfig) {
  const state = (name: string) => path.join(config.stateDir, name);
  return { replay: state('replay.db'), budget: state('budget.db'), holds: state('holds.db'), audit: state('audit.db') };
}

/** The node's private signing key, from the file `signingKey` names. */
export async function loadNodeSigningKey(config: NodeConfig): Promise<SigningKey> {
  return importSigningKey(readJsonFile(config.signingKey, 'signing key') as Parameters<typeof importSigningKey>[0]);
}

/**
 * Opens the node's audit log as its owner: checkpoints are signed with the node key, and
 * a log that no longer matches its signed head is refused rather than appended to.
 */
export function openNodeAudit(config: NodeConfig, signingKey: SigningKey, options: { checkpointEveryMs?: number } = {}): AuditLog {
  return createAuditLog(nodeStateFiles(config).audit, { signer: { key: signingKey, logId: config.nodeId }, ...options });
}

/**
 * The keys the node's audit checkpoints may be signed with: its current key and every key
 * in its published `node.jwks.json` (which keeps older keys after a rotation).
 */
export async function nodeAuditKeys(config: NodeConfig, signingKey: SigningKey): Promise<KeyRing> {
  const published = path.join(config.baseDir, 'node.jwks.json');
  const keys = fs.existsSync(published) ? ((readJsonFile(published, 'node public keys') as { keys?: unknown[] }).keys ?? []) : [];
  const byKid = new Map<string, Parameters<typeof createKeyRing>[0][number]>([[signingKey.kid, signingKey.publicJwk]]);
  for (const key of keys as Parameters<typeof createKeyRing>[0]) if (typeof key.kid === 'string' && !byKid.has(key.kid)) byKid.set(key.kid, key);
  return createKeyRing([...byKid.values()]);
}

/**
 * Makes the node's state folder 0700 and its databases 0600 where they do not exist yet,
 * then checks every folder, database (with -wal and -shm) and secret of the node: one that
 * other users can read stops the start, or is logged under `filePermissions: "warn"`.
 */
export function secureNodeFiles(config: NodeConfig, logger: Logger): void {
  makePrivateDir(config.stateDir);
  const databases = [config.catalogue, ...Object.values(nodeStateFiles(config))];
  for (const database of databases) createPrivateFile(database);
  const wide = checkPrivatePermissions(
    {
      dirs: [config.baseDir, config.stateDir],
      files: [config.signingKey, config.noiseSecret, defaultHeadFile(nodeStateFiles(config).audit)],
      databases,
    },
    config.filePermissions,
    `node ${config.nodeId}`,
  );
  for (const w of wide) logger.warn({ path: w.path, mode: w.mode.toString(8), fix: w.chmod }, 'file readable by other users');
}

/** Opens every store and key a node needs; `logger` defaults to JSON logs on stderr. */
export async function openNode(config: NodeConfig, options: { logger?: Logger } = {}): Promise<OpenNode> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { node: config.nodeId } }, pino.destination(2));
  secureNodeFiles(config, logger);
  const signingKey = await loadNodeSigningKey(config);
  const coordinatorKeys = await loadPinnedKeys(config.coordinatorKeys, config.coordinatorIds, logger);
  const noiseSecret = fs.readFileSync(config.noiseSecret);
  if (noiseSecret.length < 32) throw new BiospecError('INVALID_CONFIG', `noise secret ${config.noiseSecret} must hold at least 32 bytes`);

  // First: a node whose audit log no longer matches its signed head stops here, before anything else is opened.
  const audit = openNodeAudit(config, signingKey);
  const catalogue = openCatalogue(config.catalogue);
  const files = nodeStateFiles(config);
  const replay = createReplayCache(files.replay);
  const budget = createBudgetLedger(files.budget);
  const holds = createHoldQueue(files.holds);
  const pipeline = createCountPipeline({
    nodeId: config.nodeId,
    catalogue,
    signingKey,
    coordinatorKeys,
    replay,
    policy: config.policy,
    noiseSecret,
    budget,
    rateLimiter: createRateLimiter(config.policy.rateLimits),
    holds,
    audit,
    logger,
  });

  // Expired jtis can never be replayed (their tokens are rejected as expired), so they need not be kept.
  const pruneTimer = setInterval(() => replay.prune(Math.floor(Date.now() / 1000)), 60_000);
  pruneTimer.unref();

  return {
    config,
    catalogue,
    holds,
    audit,
    signingKey,
    pipeline,
    logger,
    describe: () => ({
      nodeId: config.nodeId,
      name: config.name,
      catalogueSize: coarseSize(catalogue.size()),
      dataEpoch: catalogue.epoch(),
      policyJson: JSON.stringify(config.policy),
      jwksJson: JSON.stringify({ keys: [signingKey.publicJwk] }),
    }),
    close() {
      clearInterval(pruneTimer);
      catalogue.close();
      replay.close();
      budget.close();
      holds.close();
      audit.close();
    },
  };
}
