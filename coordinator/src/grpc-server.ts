import { Metadata, Server, type ServerUnaryCall } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { bindGrpcHealth, initialHealthStatuses } from '@biospec/health';
import { parseQueryJson } from '@biospec/query';
import {
  AccessServiceService,
  bindServer,
  BiospecError,
  CoordinatorServiceService,
  REQUEST_ID_HEADER,
  requestIdFrom,
  shutdownServer,
  serverCredentials,
  unaryCall,
  type AccessServiceServer,
  type CoordinatorServiceServer,
} from '@biospec/protocol';
import { MEMBERSHIP_ACTIONS, REQUEST_ACTIONS, SITE_ACTIONS, type MembershipAction, type RequestAction, type SiteAction } from '@biospec/access';
import type { Caller, OpenCoordinator } from './open-coordinator.js';
import { deliveryToWire, fieldsFromWire, grantToWire, membershipToWire, membershipViewToWire, requestToWire, summaryToWire } from './access-wire.js';

/**
 * Largest gRPC request accepted: access requests carry the result bundle they came from.
 * Questions themselves are small; the body limit of REST's question routes stays 64 KiB.
 */
export const MAX_GRPC_REQUEST_BYTES = 4 * 1024 * 1024;

function oneOf<T extends string>(value: string, allowed: readonly T[], field: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new BiospecError('INVALID_ARGUMENT', `${field} must be one of ${allowed.join(', ')}`, { issues: [{ field, message: `unknown ${field} '${value}'` }] });
}

export interface RunningServer {
  port: number;
  address: string;
  stop(graceMs?: number): Promise<void>;
}

/** One id per question call: the caller's x-request-id when well formed, else a new one, sent back at once in the initial metadata. */
function requestIdOf<Req, Res>(call: ServerUnaryCall<Req, Res>): string {
  const requestId = requestIdFrom(call.metadata.get(REQUEST_ID_HEADER)[0]);
  const sent = new Metadata();
  sent.set(REQUEST_ID_HEADER, requestId);
  call.sendMetadata(sent);
  return requestId;
}

/** Every researcher-facing call is authenticated before its handler runs. */
function authenticated<Req, Res>(coordinator: OpenCoordinator, handler: (caller: Caller, request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>) {
  return unaryCall<Req, Res>(
    async (call) => {
      const header = call.metadata.get('authorization')[0];
      return handler(await coordinator.authenticate(typeof header === 'string' ? header : undefined), call.request, call);
    },
    (err) => coordinator.logger.error({ err }, 'cannot answer a gRPC call'),
  );
}

function authorizationOf<Req, Res>(call: ServerUnaryCall<Req, Res>): string | undefined {
  const header = call.metadata.get('authorization')[0];
  return typeof header === 'string' ? header : undefined;
}

/** The services gRPC health reports besides the whole server (the empty name). */
const COORDINATOR_SERVICES = ['biospecimen.v1.CoordinatorService', 'biospecimen.v1.AccessService'];

/**
 * Serves CoordinatorService, AccessService and gRPC health, which says SERVING (for the whole
 * server and for each service) exactly when `/readyz` says ready.
 */
export async function startCoordinatorGrpc(coordinator: OpenCoordinator): Promise<RunningServer> {
  const { config } = coordinator;
  const server = new Server({ 'grpc.max_receive_message_length': MAX_GRPC_REQUEST_BYTES });
  const implementation: CoordinatorServiceServer = {
    federatedCount: unaryCall(
      (call) => {
        const requestId = requestIdOf(call);
        return coordinator.ask(authorizationOf(call), () => ({
          query: parseQueryJson(call.request.queryJson),
          purpose: call.request.purpose,
          project: call.request.project,
          deadlineMs: call.request.deadlineMs,
          requestId,
        }));
      },
      (err) => coordinator.logger.error({ err }, 'cannot answer a gRPC call'),
    ),
    listNodes: authenticated(coordinator, async (caller) => ({ nodes: await coordinator.listNodes(caller) })),
    federatedAvailability: authenticated(coordinator, (caller, request, call) =>
      coordinator.federatedAvailability(caller, {
        query: parseQueryJson(request.queryJson),
        purpose: request.purpose,
        project: request.project,
        deadlineMs: request.deadlineMs,
        requestId: requestIdOf(call),
      }),
    ),
  };
  server.addService(CoordinatorServiceService, implementation);
  server.addService(AccessServiceService, accessService(coordinator));
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

/** The access workflow over gRPC: the same checks and workflow as REST, with protobuf messages. */
function accessService(coordinator: OpenCoordinator): AccessServiceServer {
  const { access, memberships } = coordinator;
  const who = (caller: Caller) => coordinator.accessCaller(caller);
  return {
    createAccessRequest: authenticated(coordinator, async (caller, request) => ({
      request: requestToWire(await access.create(who(caller), fieldsFromWire(request.fields) as never)),
    })),
    updateAccessRequest: authenticated(coordinator, async (caller, request) => ({
      request: requestToWire(await access.update(who(caller), request.id, fieldsFromWire(request.fields, { update: true, clear: request.clear }) as never)),
    })),
    getAccessRequest: authenticated(coordinator, async (caller, request) => ({ request: requestToWire(await access.get(who(caller), request.id)) })),
    listAccessRequests: authenticated(coordinator, async (caller, request) => ({
      requests: (await access.list(who(caller), { ...(request.state ? { state: request.state } : {}), ...(request.nodeId ? { nodeId: request.nodeId } : {}) })).map(summaryToWire),
    })),
    transitionAccessRequest: authenticated(coordinator, async (caller, request) => ({
      request: requestToWire(await access.act(who(caller), request.id, oneOf<RequestAction>(request.action, REQUEST_ACTIONS, 'action'), { reason: request.reason })),
    })),
    decideSite: authenticated(coordinator, async (caller, request) => ({
      request: requestToWire(
        await access.decideSite(who(caller), request.id, request.nodeId, oneOf<SiteAction>(request.action, SITE_ACTIONS, 'action'), { reason: request.reason }),
      ),
    })),
    addComment: authenticated(coordinator, async (caller, request) => ({
      request: requestToWire(await access.comment(who(caller), request.id, { body: request.body, ...(request.nodeId ? { nodeId: request.nodeId } : {}) })),
    })),
    revokeGrant: authenticated(coordinator, async (caller, request) => ({
      grant: grantToWire(await access.revokeGrant(who(caller), request.grantId, { reason: request.reason })),
    })),
    fetchGrantedAvailability: authenticated(coordinator, async (caller, request) => {
      const delivered = await coordinator.fetchGranted(caller, request.id, request.nodeId, request.deadlineMs || undefined);
      return { encryptedAnswer: delivered.encryptedAnswer, nodeId: delivered.nodeId, delivery: deliveryToWire(delivered.delivery) };
    }),
    applyForMembership: authenticated(coordinator, async (caller, request) => membershipViewToWire(await memberships.apply(who(caller), request.application))),
    listMemberships: authenticated(coordinator, async (caller) => ({ memberships: (await memberships.list(who(caller))).map(membershipToWire) })),
    getMembership: authenticated(coordinator, async (caller, request) => membershipViewToWire(await memberships.get(who(caller), request.nodeId))),
    decideMembership: authenticated(coordinator, async (caller, request) =>
      membershipViewToWire(await memberships.decide(who(caller), request.nodeId, oneOf<MembershipAction>(request.action, MEMBERSHIP_ACTIONS, 'action'), { reason: request.reason })),
    ),
  };
}
