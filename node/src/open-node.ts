import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import {
  BiospecError,
  checkPrivatePermissions,
  createPrivateFile,
  makePrivateDir,
  readJsonFile,
  storageError,
  storageFaultOf,
  type DescribeResponse,
} from '@biospec/protocol';
import { openCatalogue, type Catalogue } from '@biospec/catalogue';
import {
  createBudgetLedger,
  createHoldQueue,
  createRateLimiter,
  createSqliteRateLimitStore,
  protectCatalogueSummary,
  type CatalogueSummaryRelease,
  type HoldQueue,
} from '@biospec/privacy';
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
import type { Directory } from '@biospec/directory';
import type { NodeConfig } from './config.js';
import { createCountPipeline, type CountPipeline, type CountSource } from './count-pipeline.js';
import { createAvailabilityPipeline, type AvailabilityPipeline } from './availability-pipeline.js';
import { availabilitySourceOf } from './availability-source.js';
import { createNodeAccessState, type NodeAccessState } from '@biospec/access';
import { assertCatalogueNotLost } from './catalogue-guard.js';
import { createPreAuthRefusals, type PreAuthRefusals } from './pre-auth-refusals.js';
import { startNodeDirectory } from './node-directory.js';
import { loadPinnedKeys } from './pinned-keys.js';
import { holdPidFile } from '@biospec/backup';
import { createNodeMetrics, type IndexState, type NodeMetrics } from './metrics.js';
import { indexStateOf } from './index-state.js';
import { reconcileWithdrawals } from './withdrawal.js';
import { SOFTWARE_VERSION } from './software-version.js';
import { createStewardHolds, type StewardHolds } from './steward-holds.js';

/** A node's parts, opened from its config: what the gRPC server and the CLI work with. */
export interface OpenNode {
  config: NodeConfig;
  catalogue: Catalogue;
  holds: HoldQueue;
  audit: AuditLog;
  signingKey: SigningKey;
  pipeline: CountPipeline;
  /** Availability and granted availability answers, and revocation lists pushed by the coordinator. */
  availability: AvailabilityPipeline;
  /** The published collection list and the newest revocation list seen. */
  accessState: NodeAccessState;
  /** Held questions listed to, and decided by, a steward through the coordinator (when `holds.decisionsFromCoordinator`). */
  stewardHolds: StewardHolds;
  logger: Logger;
  /** The node's Prometheus metrics (node/src/metrics.ts). */
  metrics: NodeMetrics;
  /** The count index's state now, for readiness and metrics. */
  indexState(): IndexState;
  /** The coordinator keys this node pins, as currently in force. */
  coordinatorKeys(): Promise<KeyRing>;
  /** Public facts about the node; the catalogue summary is noisy (docs/PRIVACY.md, "Outside the count path"). */
  describe(): Promise<DescribeResponse>;
  /** Refusals that came before a token verified, counted per peer (written to the audit log once a minute). */
  preAuthRefusals: PreAuthRefusals;
  /** The noisy catalogue summary of the current epoch (for Describe and the directory descriptor). */
  summary(): Promise<CatalogueSummaryRelease & { epoch: number }>;
  /** The network directory this node announces itself on; undefined unless `directory.enabled`. */
  directory: Directory | undefined;
  /** Leaves the directory (if it joined one), then closes every store. */
  close(): Promise<void>;
}

/** The catalogue as the pipeline counts on it. */
function countSourceOf(catalogue: Catalogue): CountSource {
  return {
    servingEpoch: () => catalogue.servingEpoch(),
    async count(query) {
      // Read before counting: the route that answers this count (an index becoming ready meanwhile only makes it faster).
      const route = catalogue.countRoute(query);
      return { ...(await catalogue.count(query)), ...(route === undefined ? {} : { route }) };
    },
  };
}

/** The files under a node's state folder. */
export function nodeStateFiles(config: NodeConfig) {
  const state = (name: string) => path.join(config.stateDir, name);
  return {
    replay: state('replay.db'),
    budget: state('budget.db'),
    holds: state('holds.db'),
    audit: state('audit.db'),
    rateLimits: state('rate-limits.db'),
    access: state('access.db'),
  };
}

/** The pid file a running node holds in its state folder; a restore refuses to write under a live one. */
export function nodePidFile(config: NodeConfig): string {
  return path.join(config.stateDir, 'node.pid');
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
  // Before anything is created: a lost catalogue must not be replaced by an empty one.
  assertCatalogueNotLost(config.catalogue, config.stateDir);
  secureNodeFiles(config, logger);
  const signingKey = await loadNodeSigningKey(config);
  const coordinatorKeys = await loadPinnedKeys(config.coordinatorKeys, config.coordinatorIds, logger);
  const noiseSecret = fs.readFileSync(config.noiseSecret);
  if (noiseSecret.length < 32) throw new BiospecError('INVALID_CONFIG', `noise secret ${config.noiseSecret} must hold at least 32 bytes`);

  /** Opens one store; a storage fault is logged with its file before anything else is attempted. */
  const opening = <T>(file: string, open: () => T): T => {
    try {
      return open();
    } catch (error) {
      const fault = storageFaultOf(error, file);
      if (!fault) throw error;
      logger.error({ file, code: fault.code, err: error }, 'storage error');
      throw storageError(fault, 'the node cannot start', error);
    }
  };
  const files = nodeStateFiles(config);
  // First: a node whose audit log no longer matches its signed head stops here, before anything else is opened.
  const audit = opening(files.audit, () => openNodeAudit(config, signingKey));
  // Counts apply the policy's per-donor caps, which the noise is scaled to (docs/PRIVACY.md).
  const caps = config.policy.contributionCaps;
  const catalogue = opening(config.catalogue, () => openCatalogue(config.catalogue, { logger, ...(caps === null ? {} : { caps }) }));
  const replay = opening(files.replay, () => createReplayCache(files.replay));
  const budget = opening(files.budget, () => createBudgetLedger(files.budget));
  const holds = opening(files.holds, () => createHoldQueue(files.holds));
  // Persisted, so a restart does not open a fresh window to everyone.
  const rateLimiter = createRateLimiter(config.policy.rateLimits, { store: opening(files.rateLimits, () => createSqliteRateLimitStore(files.rateLimits)) });
  const accessState = opening(files.access, () => createNodeAccessState(files.access));
  const reconciled = reconcileWithdrawals(
    { catalogue, audit, auditFile: files.audit },
    { onStorageFault: (fault) => logger.error({ file: fault.file, code: fault.code }, 'storage error') },
  );
  if (reconciled > 0) logger.warn({ reconciled }, 'withdrawals without their audit entry (a crash came between the two writes): entries written');
  const preAuthRefusals = createPreAuthRefusals({ audit });
  const counts = countSourceOf(catalogue);
  const metrics = createNodeMetrics({ node: config.nodeId });
  // One of each for every kind of question: a person's rate limit, budget and replayed tokens are the same whatever they ask.
  const steps = {
    nodeId: config.nodeId,
    preAuthRefusals,
    signingKey,
    coordinatorKeys,
    replay,
    policy: config.policy,
    noiseSecret,
    budget,
    rateLimiter,
    holds,
    audit,
    logger,
    metrics,
  };
  const pipeline = createCountPipeline({ ...steps, counts });
  const availability = createAvailabilityPipeline({ ...steps, availability: availabilitySourceOf(catalogue), accessState });
  // The same replay cache as queries: a steward's request is a coordinator-signed token like they are, honoured once.
  const stewardHolds = createStewardHolds({
    nodeId: config.nodeId,
    enabled: config.holds.decisionsFromCoordinator,
    coordinatorKeys,
    replay,
    holds,
    audit,
    preAuthRefusals,
    logger,
  });

  // Expired jtis can never be replayed (their tokens are rejected as expired), so they need not be kept.
  const pruneTimer = setInterval(() => replay.prune(Math.floor(Date.now() / 1000)), 60_000);
  pruneTimer.unref();
  const refusalTimer = setInterval(() => {
    preAuthRefusals.flush().catch((reason: unknown) => logger.error({ err: reason }, 'cannot write refusal counts to the audit log'));
  }, 60_000);
  refusalTimer.unref();

  let summaryCache: (CatalogueSummaryRelease & { epoch: number }) | undefined;
  const summary = async () => {
    const epoch = counts.servingEpoch();
    if (summaryCache?.epoch === epoch) return summaryCache;
    const [all, byMaterial] = await Promise.all([
      counts.count({ unit: 'donors' }),
      counts.count({ unit: 'donors', stratify: ['material_type'] }),
    ]);
    summaryCache = { ...protectCatalogueSummary({ donors: all.total, byMaterial: byMaterial.strata }, { secret: noiseSecret, epoch: all.epoch }), epoch: all.epoch };
    return summaryCache;
  };
  const directory = config.directory?.enabled ? await startNodeDirectory(config, { signingKey, summary, logger }) : undefined;

  // While this file names a live process, `biospec node restore` refuses to write under the node.
  const releasePidFile = holdPidFile(nodePidFile(config));

  return {
    config,
    catalogue,
    holds,
    audit,
    signingKey,
    pipeline,
    availability,
    accessState,
    stewardHolds,
    logger,
    metrics,
    indexState: () => indexStateOf(catalogue),
    coordinatorKeys,
    summary,
    preAuthRefusals,
    directory: directory?.directory,
    async describe() {
      const released = await summary();
      return {
        nodeId: config.nodeId,
        name: config.name,
        catalogueDonors: released.donors,
        dataEpoch: released.epoch,
        policyJson: JSON.stringify(config.policy),
        jwksJson: JSON.stringify({ keys: [signingKey.publicJwk] }),
        collectionsJson: JSON.stringify(accessState.published().collections),
        collectionsDigest: accessState.published().digest,
        softwareVersion: SOFTWARE_VERSION,
      };
    },
    async close() {
      await directory?.stop();
      clearInterval(pruneTimer);
      clearInterval(refusalTimer);
      await preAuthRefusals.flush(true);
      catalogue.close();
      await catalogue.stopped();
      replay.close();
      budget.close();
      holds.close();
      await rateLimiter.close();
      accessState.close();
      audit.close();
      await audit.idle();
      releasePidFile();
    },
  };
}
