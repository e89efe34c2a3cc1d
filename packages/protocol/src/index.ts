export * from './errors.js';
export * from './grpc-errors.js';
export * from './grpc-credentials.js';
export * from './grpc-server-lifecycle.js';
export * from './unary-call.js';
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
  AvailabilityRequest,
  AvailabilityResponse,
  GrantedAvailabilityRequest,
  GrantedAvailabilityResponse,
  PushRevocationsRequest,
  PushRevocationsResponse,
  ListHoldsRequest,
  ListHoldsResponse,
  DecideHoldRequest,
  DecideHoldResponse,
  HeldQuestionSummary,
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
  FederatedAvailabilityRequest,
  FederatedAvailabilityResponse,
  SiteAvailability,
  CollectionAvailability,
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
export { AccessServiceClient, AccessServiceService, type AccessServiceServer } from './generated/biospecimen/v1/access.js';
/** The access workflow's wire messages (AccessRequestView, Transition, Membership, ...), kept in one namespace. */
export * as AccessWire from './generated/biospecimen/v1/access.js';
export {
  ConnectAccepted,
  ConnectChallenge,
  ConnectProof,
  ConnectRequest,
  ConnectResponse,
  NodeConnectServiceClient,
  NodeConnectServiceService,
  RelayedCall,
  RelayedCallResult,
  type NodeConnectServiceServer,
} from './generated/biospecimen/v1/connect.js';
