import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from 'pino';
import { describePolicy, type CatalogueSummaryRelease } from '@biospec/privacy';
import type { SigningKey } from '@biospec/trust';
import { PublicJwkSchema, startServiceDirectory, type DescriptorInput, type PublicJwk, type ServiceDirectory } from '@biospec/directory';
import type { NodeConfig } from './config.js';
import { NODE_FILES } from './init-node.js';
import { SOFTWARE_VERSION } from './software-version.js';


/**
 * The keys this node announces: its public JWKS file (`node.jwks.json`, the one sent to the coordinator)
 * when that file lists the current signing key, else the signing key alone. Read at every announcement,
 * so a key rotation is announced by editing that file (docs/SECURITY.md, rotating a node key).
 */
function announcedKeys(config: NodeConfig, signingKey: SigningKey): PublicJwk[] {
  const own = signingKey.publicJwk as PublicJwk;
  try {
    const parsed = JwksFileSchema.safeParse(JSON.parse(fs.readFileSync(path.join(config.baseDir, NODE_FILES.publicKeys), 'utf8')));
    return parsed.success && parsed.data.keys.some((k) => k.x === own.x) ? parsed.data.keys : [own];
  } catch {
    return [own];
  }
}

const JwksFileSchema = z.object({ keys: z.array(PublicJwkSchema).min(1).max(8) });

/** The noisy catalogue summary of the current epoch, as `OpenNode.summary` releases it. */
type SummarySource = () => Promise<CatalogueSummaryRelease & { epoch: number }>;

/**
 * What this node announces. The catalogue summary is the one the node's disclosure control
 * released for Describe (noisy, docs/PRIVACY.md), never anything computed from true counts here.
 */
async function nodeDescriptor(config: NodeConfig, signingKey: SigningKey, summary: SummarySource): Promise<DescriptorInput> {
  const { policy } = config;
  const released = await summary();
  return {
    nodeId: config.nodeId,
    name: config.name,
    institution: config.directory?.institution ?? config.name,
    endpoint: config.directory?.endpoint ?? config.listen ?? 'connect-out',
    jwks: { keys: announcedKeys(config, signingKey) },
    software: { name: 'biospec', version: SOFTWARE_VERSION },
    policy: { text: describePolicy(policy), threshold: policy.threshold, rounding: policy.rounding, noise: policy.noise.mechanism, release: policy.release },
    catalogue: {
      donors: { ...(released.donors.value === undefined ? {} : { value: released.donors.value }), display: released.donors.display },
      materialTypes: released.materialTypes,
      epoch: released.epoch,
    },
    dataEpoch: released.epoch,
  };
}

/**
 * Joins the directory and announces this node, again every refresh interval with the current
 * data epoch and keys. The node trusts only its own keys for its own id, whatever it heard first.
 */
export async function startNodeDirectory(config: NodeConfig, parts: { signingKey: SigningKey; summary: SummarySource; logger: Logger }): Promise<ServiceDirectory> {
  const service = await startServiceDirectory(config.directory!, {
    role: 'node',
    id: config.nodeId,
    pinnedKeys: (id) => (id === config.nodeId ? announcedKeys(config, parts.signingKey) : undefined),
    onError: (err) => parts.logger.warn({ err }, 'directory: background task failed'),
  });
  try {
    await service.directory.publish(() => nodeDescriptor(config, parts.signingKey, parts.summary), parts.signingKey);
  } catch (error) {
    await service.stop();
    throw error;
  }
  parts.logger.info({ peerId: service.directory.peerId, addresses: service.directory.addresses() }, 'directory joined');
  return service;
}
