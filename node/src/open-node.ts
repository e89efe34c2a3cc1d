import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { BiospecError, readJsonFile, storageError, storageFaultOf, type DescribeResponse } from '@biospec/protocol';
import { openCatalogue, type Catalogue } from '@biospec/catalogue';
import {
  createBudgetLedger,
  createHoldQueue,
  createRateLimiter,
  protectCatalogueSummary,
  type CatalogueSummaryRelease,
  type HoldQueue,
} from '@biospec/privacy';
import { createAuditLog, createReplayCache, importSigningKey, type AuditLog, type SigningKey } from '@biospec/trust';
import type { NodeConfig } from './config.js';
import { createCountPipeline, type CountPipeline, type CountSource } from './count-pipeline.js';
import { assertCatalogueNotLost } from './catalogue-guard.js';
import { createPreAuthRefusals, type PreAuthRefusals } from './pre-auth-refusals.js';
import { loadPinnedKeys } from './pinned-keys.js';
import { reconcileWithdrawals } from './withdrawal.js';

/** A node's parts, opened from its config: what the gRPC server and the CLI work with. */
export interface OpenNode {
  config: NodeConfig;
  catalogue: Catalogue;
  holds: HoldQueue;
  audit: AuditLog;
  signingKey: SigningKey;
  pipeline: CountPipeline;
  logger: Logger;
  /** Public facts about the node; the catalogue summary is noisy (docs/PRIVACY.md, "Outside the count path"). */
  describe(): Promise<DescribeResponse>;
  /** Refusals that came before a token verified, counted per peer (written to the audit log once a minute). */
  preAuthRefusals: PreAuthRefusals;
  /** The noisy catalogue summary of the current epoch (for Describe and the directory descriptor). */
  summary(): Promise<CatalogueSummaryRelease & { epoch: number }>;
  close(): Promise<void>;
}

/** The catalogue as the pipeline counts on it. */
function countSourceOf(catalogue: Catalogue): CountSource {
  return {
    servingEpoch: () => catalogue.epoch(),
    count: async (query) => ({ epoch: catalogue.epoch(), ...catalogue.count(query) }),
  };
}

/** Opens every store and key a node needs; `logger` defaults to JSON logs on stderr. */
export async function openNode(config: NodeConfig, options: { logger?: Logger } = {}): Promise<OpenNode> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { node: config.nodeId } }, pino.destination(2));
  fs.mkdirSync(config.stateDir, { recursive: true });
  const signingKey = await importSigningKey(readJsonFile(config.signingKey, 'signing key') as Parameters<typeof importSigningKey>[0]);
  const coordinatorKeys = await loadPinnedKeys(config.coordinatorKeys, logger);
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
  assertCatalogueNotLost(config.catalogue, config.stateDir);
  const catalogue = opening(config.catalogue, () => openCatalogue(config.catalogue));
  const state = (name: string) => path.join(config.stateDir, name);
  const replay = opening(state('replay.db'), () => createReplayCache(state('replay.db')));
  const budget = opening(state('budget.db'), () => createBudgetLedger(state('budget.db')));
  const holds = opening(state('holds.db'), () => createHoldQueue(state('holds.db')));
  const audit = opening(state('audit.db'), () => createAuditLog(state('audit.db')));
  const reconciled = reconcileWithdrawals(
    { catalogue, audit, auditFile: state('audit.db') },
    { onStorageFault: (fault) => logger.error({ file: fault.file, code: fault.code }, 'storage error') },
  );
  if (reconciled > 0) logger.warn({ reconciled }, 'withdrawals without their audit entry (a crash came between the two writes): entries written');
  const preAuthRefusals = createPreAuthRefusals({ audit });
  const counts = countSourceOf(catalogue);
  const pipeline = createCountPipeline({
    nodeId: config.nodeId,
    counts,
    preAuthRefusals,
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

  return {
    config,
    catalogue,
    holds,
    audit,
    signingKey,
    pipeline,
    logger,
    summary,
    preAuthRefusals,
    async describe() {
      const released = await summary();
      return {
        nodeId: config.nodeId,
        name: config.name,
        catalogueDonors: released.donors,
        dataEpoch: released.epoch,
        policyJson: JSON.stringify(config.policy),
        jwksJson: JSON.stringify({ keys: [signingKey.publicJwk] }),
      };
    },
    async close() {
      clearInterval(pruneTimer);
      clearInterval(refusalTimer);
      await preAuthRefusals.flush(true);
      catalogue.close();
      replay.close();
      budget.close();
      holds.close();
      audit.close();
    },
  };
}
