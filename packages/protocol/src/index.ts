export * from './errors.js';
export * from './grpc-credentials.js';
export * from './grpc-server-lifecycle.js';
export * from './read-json-file.js';
export * from './storage-error.js';
export * from './private-files.js';
export * from './schema-migrations.js';
export {
  BudgetStatus,
  Disclosure,
  DisclosureKind,
  ReleasedFigure,
  Stratum,
  disclosureKindFromJSON,
  disclosureKindToJSON,
} from './generated/biospecimen/v1/disclosure.js';
export {
  CountRequest,
  CountResponse,
  CountStreamError,
  CountStreamRequest,
  CountStreamResponse,
  DescribeRequest,
  DescribeResponse,
  NodeResult,
  NodeServiceClient,
  NodeServiceService,
  type NodeServiceServer,
} from './generated/biospecimen/v1/node.js';
export {
  CoordinatorServiceClient,
  CoordinatorServiceService,
  FederatedCountRequest,
  FederatedCountResponse,
  ListNodesRequest,
  ListNodesResponse,
  MergedStratum,
  MergedTotal,
  NodeInfo,
  SiteResult,
  SiteStatus,
  siteStatusFromJSON,
  siteStatusToJSON,
  type CoordinatorServiceServer,
} from './generated/biospecimen/v1/coordinator.js';
export * from './request-id.js';
export * from './config-input.js';
