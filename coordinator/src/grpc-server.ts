import { Metadata, Server, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { bindGrpcHealth, initialHealthStatuses } from '@biospec/health';
import { parseQueryJson } from '@biospec/query';
import {
  bindServer,
  CoordinatorServiceService,
  REQUEST_ID_HEADER,
  requestIdFrom,
  shutdownServer,
  serverCredentials,
  toGrpcError,
  type CoordinatorServiceServer,
} from '@biospec/protocol';
import type { Caller, OpenCoordinator } from './open-coordinator.js';

export interface RunningServer {
  port: number;
  address: string;
  stop(graceMs?: number): Promise<void>;
}

/** Every researcher-facing call is authenticated before its handler runs. */
function authenticated<Req, Res>(
  coordinator: OpenCoordinator,
  handler: (caller: Caller, request: Req) => Promise<Res>,
) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const header = call.metadata.get('authorization')[0];
    coordinator
      .authenticate(typeof header === 'string' ? header : undefined)
      .then((caller) => handler(caller, call.request))
      .then(
        (response) => callback(null, response),
        (reason: unknown) => callback(toGrpcError(reason)),
      );
  };
}

/** The services gRPC health reports besides the whole server (the empty name). */
const COORDINATOR_SERVICES = ['biospecimen.v1.CoordinatorService'];

/**
 * Serves CoordinatorService and gRPC health, which says SERVING (for the whole server and
 * for CoordinatorService) exactly when `/readyz` says ready.
 */
export async function startCoordinatorGrpc(coordinator: OpenCoordinator): Promise<RunningServer> {
  const { config } = coordinator;
  const server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 });
  const implementation: CoordinatorServiceServer = {
    federatedCount: (call, callback) => {
      const header = call.metadata.get('authorization')[0];
      // One id per call: the caller's x-request-id when well formed, else a new one, sent back at once.
      const requestId = requestIdFrom(call.metadata.get(REQUEST_ID_HEADER)[0]);
      const sent = new Metadata();
      sent.set(REQUEST_ID_HEADER, requestId);
      call.sendMetadata(sent);
      coordinator
        .ask(typeof header === 'string' ? header : undefined, () => ({
          query: parseQueryJson(call.request.queryJson),
          purpose: call.request.purpose,
          project: call.request.project,
          deadlineMs: call.request.deadlineMs,
          requestId,
        }))
        .then(
          (response) => callback(null, response),
          (reason: unknown) => callback(toGrpcError(reason)),
        );
    },
    listNodes: authenticated(coordinator, async () => ({ nodes: await coordinator.listNodes() })),
  };
  server.addService(CoordinatorServiceService, implementation);
  const health = new HealthImplementation(initialHealthStatuses(COORDINATOR_SERVICES));
  health.addToServer(server);
  const healthBinding = bindGrpcHealth(health, COORDINATOR_SERVICES, coordinator.readiness);
  const { port, address } = await bindServer(server, config.grpcListen, serverCredentials(config.tls));
  return {
    port,
    address,
    stop: (graceMs = 2000) => {
      healthBinding.shutdown();
      return shutdownServer(server, graceMs);
    },
  };
}
