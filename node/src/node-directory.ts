import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { describePolicy } from '@biospec/privacy';
import type { SigningKey } from '@biospec/trust';
import type { Catalogue } from '@biospec/catalogue';
import { startServiceDirectory, type DescriptorInput, type PublicJwk, type ServiceDirectory } from '@biospec/directory';
import type { NodeConfig } from './config.js';

const SOFTWARE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * What this node announces. No catalogue summary yet: only one protected by the node's
 * disclosure control may be published, and none is produced yet (never true counts, not even rounded).
 */
function nodeDescriptor(config: NodeConfig, signingKey: SigningKey, catalogue: Catalogue): DescriptorInput {
  const { policy } = config;
  return {
    nodeId: config.nodeId,
    name: config.name,
    institution: config.directory?.institution ?? config.name,
    endpoint: config.directory?.endpoint ?? config.listen,
    jwks: { keys: [signingKey.publicJwk as PublicJwk] },
    software: { name: 'biospec', version: SOFTWARE_VERSION },
    policy: { text: describePolicy(policy), threshold: policy.threshold, rounding: policy.rounding, noise: policy.noise.mechanism, release: policy.release },
    dataEpoch: catalogue.epoch(),
  };
}

/**
 * Joins the directory and announces this node, again every refresh interval with the current
 * data epoch. The node trusts only its own key for its own id, whatever it heard first.
 */
export async function startNodeDirectory(config: NodeConfig, parts: { signingKey: SigningKey; catalogue: Catalogue; logger: Logger }): Promise<ServiceDirectory> {
  const ownKeys = [parts.signingKey.publicJwk as PublicJwk];
  const service = await startServiceDirectory(config.directory!, {
    role: 'node',
    id: config.nodeId,
    pinnedKeys: (id) => (id === config.nodeId ? ownKeys : undefined),
    onError: (err) => parts.logger.warn({ err }, 'directory: background task failed'),
  });
  try {
    await service.directory.publish(() => nodeDescriptor(config, parts.signingKey, parts.catalogue), parts.signingKey);
  } catch (error) {
    await service.stop();
    throw error;
  }
  parts.logger.info({ peerId: service.directory.peerId, addresses: service.directory.addresses() }, 'directory joined');
  return service;
}
