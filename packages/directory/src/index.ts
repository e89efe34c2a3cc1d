export {
  CatalogueSummarySchema,
  DEFAULT_MAX_DESCRIPTOR_BYTES,
  DESCRIPTOR_TOKEN_TYPE,
  DIRECTORY_TOPIC,
  DescriptorInputSchema,
  NodeDescriptorSchema,
  NodeIdSchema,
  PeerContactSchema,
  PolicySummarySchema,
  PublicJwkSchema,
  descriptorContent,
  signDescriptor,
  type CatalogueSummary,
  type DescriptorInput,
  type NodeDescriptor,
  type PeerContact,
  type PolicySummary,
  type PublicJwk,
  type SigningMeta,
} from './descriptor.js';
export { DROP_REASONS, inspectDescriptor, type DropReason, type FailedInspection, type InspectedDescriptor } from './inspect-descriptor.js';
export {
  DEFAULT_MAX_CLOCK_SKEW_MS,
  DEFAULT_MAX_NODES,
  DEFAULT_REFRESH_INTERVAL_MS,
  DEFAULT_REPLAY_GRACE_MS,
  type DescriptorSource,
  type Directory,
  type DirectoryEntry,
  type DirectoryEvents,
  type DirectoryOptions,
  type DirectoryStats,
  type DroppedDescriptor,
  type RestoredEntry,
} from './directory.js';
export type { Verdict } from './directory-state.js';
export { createMemoryBus, createMemoryDirectory, type MemoryBus } from './memory-directory.js';
export { createLibp2pDirectory, generatePeerKey } from './libp2p-loader.js';
export type { Libp2pDirectory, Libp2pDirectoryOptions } from './libp2p-directory.js';
export { DIRECTORY_SCORE_THRESHOLDS, DIRECTORY_TOPIC_SCORE, directoryScoreParams } from './scoring.js';
export {
  DirectorySnapshotSchema,
  readDirectorySnapshot,
  restoredEntries,
  startSnapshotWriter,
  type DirectorySnapshot,
  type SnapshotWriterOptions,
} from './snapshot.js';
export { DirectoryConfigSchema, resolveDirectoryConfig, startServiceDirectory, type DirectoryConfig, type ServiceDirectory } from './service-directory.js';
