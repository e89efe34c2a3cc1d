import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { BiospecError, readJsonFile, type DescribeResponse } from '@biospec/protocol';
import { openCatalogue, type Catalogue } from '@biospec/catalogue';
import { createBudgetLedger, createHoldQueue, createRateLimiter, type HoldQueue } from '@biospec/privacy';
import { createAuditLog, createReplayCache, importSigningKey, type AuditLog, type SigningKey } from '@biospec/trust';
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

/** Opens every store and key a node needs; `logger` defaults to JSON logs on stderr. */
export async function openNode(config: NodeConfig, options: { logger?: Logger } = {}): Promise<OpenNode> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { node: config.nodeId } }, pino.destination(2));
  fs.mkdirSync(config.stateDir, { recursive: true });
  const signingKey = await importSigningKey(readJsonFile(config.signingKey, 'signing key') as Parameters<typeof importSigningKey>[0]);
  const coordinatorKeys = await loadPinnedKeys(config.coordinatorKeys, config.coordinatorIds, logger);
  const noiseSecret = fs.readFileSync(config.noiseSecret);
  if (noiseSecret.length < 32) throw new BiospecError('INVALID_CONFIG', `noise secret ${config.noiseSecret} must hold at least 32 bytes`);

  const catalogue = openCatalogue(config.catalogue);
  const state = (name: string) => path.join(config.stateDir, name);
  const replay = createReplayCache(state('replay.db'));
  const budget = createBudgetLedger(state('budget.db'));
  const holds = createHoldQueue(state('holds.db'));
  const audit = createAuditLog(state('audit.db'));
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
