import { Server } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { parseQueryJson } from '@biospec/query';
import {
  bindServer,
  CoordinatorServiceService,
  shutdownServer,
  serverCredentials,
  unaryCall,
  type CoordinatorServiceServer,
} from '@biospec/protocol';
import type { Caller, OpenCoordinator } from './open-coordinator.js';

export interface RunningServer {
  port: number;
  address: string;
  stop(graceMs?: number): Promise<void>;
}

/** Every researcher-facing call is authenticated before its handler runs. */
function authenticated<Req, Res>(coordinator: OpenCoordinator, handler: (caller: Caller, request: Req) => Promise<Res>) {
  return unaryCall<Req, Res>(
    async (call) => {
      const header = call.metadata.get('authorization')[0];
      return handler(await coordinator.authenticate(typeof header === 'string' ? header : undefined), call.request);
    },
    (err) => coordinator.logger.error({ err }, 'cannot answer a gRPC call'),
  );
}

export async function startCoordinatorGrpc(coordinator: OpenCoordinator): Promise<RunningServer> {
  const { config } = coordinator;
  const server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 });
  const implementation: CoordinatorServiceServer = {
    federatedCount: authenticated(coordinator, (caller, request) => {
      return coordinator.federatedCount(caller.person, {
        query: parseQueryJson(request.queryJson),
        purpose: request.purpose,
        project: request.project,
        deadlineMs: request.deadlineMs,
      });
    }),
    listNodes: authenticated(coordinator, async () => ({ nodes: await coordinator.listNodes() })),
  };
  server.addService(CoordinatorServiceService, implementation);
  new HealthImplementation({ '': 'SERVING', 'biospecimen.v1.CoordinatorService': 'SERVING' }).addToServer(server);
  const { port, address } = await bindServer(server, config.grpcListen, serverCredentials(config.tls));
  return { port, address, stop: (graceMs = 2000) => shutdownServer(server, graceMs) };
}
