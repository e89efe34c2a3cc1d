import { Server, type ServerUnaryCall } from '@grpc/grpc-js';
import path from 'node:path';
import { HealthImplementation } from 'grpc-health-check';
import { bindGrpcHealth, createReadiness, initialHealthStatuses, probeWritable, startHealthServer, type Readiness, type RunningHealthServer } from '@biospec/health';
import {
  BiospecError,
  bindServer,
  NodeServiceService,
  serverCredentials,
  shutdownServer,
  unaryCall,
  type NodeServiceServer,
} from '@biospec/protocol';
import { createAdmission, type AdmissionStats, type DropReason } from './admission.js';
import type { AnswerContext } from './count-pipeline.js';
import { createCountStreams } from './count-stream.js';
import type { ConnectOut, ConnectOutStatus, RelayedHandler } from '@biospec/connect';
import { startNodeConnectOut } from './node-connect-out.js';
import { startNodeStatusFile } from './node-status.js';
import { indexProblem } from './index-state.js';
import { nodeStateFiles, type OpenNode } from './open-node.js';

/** A running node: its gRPC server and/or its connection out to the coordinator. */
export interface RunningNodeServer {
  /** The bound port (useful when the config said port 0); 0 when the node listens on no port (connect-out only). */
  port: number;
  /** host:port of the gRPC server; '' when the node listens on no port. */
  address: string;
  /** Where the connection to the coordinator stands; undefined unless `connectOut` is configured. */
  connectOut(): ConnectOutStatus | undefined;
  /** What the node's admission limit has done since start: questions started, refused busy, dropped. */
  load(): AdmissionStats;
  /** Whether the node can answer now (count index, databases, pinned keys); the HTTP and gRPC health services report it. */
  readiness: Readiness;
  /** The `/healthz`, `/readyz`, `/metrics` listener, when `httpListen` is configured. */
  health?: RunningHealthServer;
  /** Stops accepting calls, lets running ones finish for `graceMs`, then closes the stores. */
  stop(graceMs?: number): Promise<void>;
}

/** A unary call's deadline and cancellation, as the pipelines take them. */
function contextOf<Req, Res>(call: ServerUnaryCall<Req, Res>): AnswerContext {
  const cancelled = new AbortController();
  call.on('cancelled', () => cancelled.abort());
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return {
    signal: cancelled.signal,
    ...(Number.isFinite(at) ? { deadline: new Date(at) } : {}),
    peer: call.getPeer(),
  };
}

/** The services gRPC health reports besides the whole server (the empty name). */
const NODE_SERVICES = ['biospecimen.v1.NodeService'];
/** How often readiness is evaluated. */
const READINESS_EVERY_MS = 1000;
/**
 * How often the timer runs the write probe: a file created, synced and removed in two folders
 * cost a node about 2.3 ms of CPU a second (half of it in the kernel), as much as answering a
 * question, whether or not questions came.
 */
const WRITE_PROBE_EVERY_MS = 30_000;

/** A node is ready when its count index answers, its databases take writes and it pins at least one coordinator key. */
function nodeReadiness(node: OpenNode): Readiness {
  const { config } = node;
  return createReadiness([
    {
      name: 'countIndex',
      run: () => indexProblem(node.catalogue),
    },
    {
      name: 'databases',
      run: () => probeWritable([config.stateDir, path.dirname(config.catalogue)], [config.catalogue, ...Object.values(nodeStateFiles(config))]),
      everyMs: WRITE_PROBE_EVERY_MS,
    },
    {
      name: 'coordinatorKeys',
      async run() {
        const keys = (await node.coordinatorKeys()).kids();
        return keys.length > 0 ? undefined : `no coordinator key pinned in ${config.coordinatorKeys}`;
      },
    },
  ]);
}

/**
 * Serves NodeService and the standard gRPC health service on the configured address, and/or
 * connects out to the coordinator (`connectOut`) to answer the same queries over that
 * connection, through the same admission limit and answer path; and the health and metrics
 * listener on `httpListen` when configured. gRPC health says
 * SERVING, for the whole server and for NodeService, exactly when `/readyz` says ready.
 */
export async function startNodeServer(node: OpenNode, options: { readinessEveryMs?: number } = {}): Promise<RunningNodeServer> {
  const { config } = node;
  const server = new Server({
    'grpc.max_receive_message_length': config.maxMessageBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
    // Coordinators ping every connection to notice a dropped one (docs/PROTOCOL.md, "Keepalive"):
    // accept those pings, also between queries, rather than answering them with GOAWAY.
    'grpc.http2.min_ping_interval_without_data_ms': config.keepalive.minPingIntervalMs,
    'grpc.keepalive_permit_without_calls': 1,
  });
  const dropped = (reason: DropReason) => {
    node.metrics.question('dropped', reason);
    // The token was never verified, so who asked is unknown; the record says a question was not counted, and why.
    node.audit
      .record({ kind: 'query', actor: 'unknown', subject: 'unverified', outcome: 'dropped', detail: { reason } })
      .catch((err: unknown) => node.logger.error({ err }, 'cannot audit a dropped question'));
  };
  const admission = createAdmission({ limits: config.admission, onDropped: dropped });
  // Under a flood, one log line a second says how many were refused, rather than one per question.
  let busySince = 0;
  let lastBusyLog = 0;
  const logBusy = () => {
    busySince += 1;
    const at = Date.now();
    if (at - lastBusyLog < 1000) return;
    node.logger.warn({ refused: busySince, load: admission.stats() }, 'questions refused: node busy');
    lastBusyLog = at;
    busySince = 0;
  };
  /** Counts and access questions go through one admission: a flood of either is refused as busy. */
  const admitted = <T>(work: () => Promise<T>, context: AnswerContext) =>
    admission.run(work, context).catch((reason: unknown) => {
      if (reason instanceof BiospecError && reason.code === 'BUSY') {
        node.metrics.question('busy', 'queue');
        logBusy();
      }
      throw reason;
    });
  const answer = (signedQuery: string, context: AnswerContext) => admitted(() => node.pipeline.answer(signedQuery, context), context);
  const streams = createCountStreams({
    answer,
    logger: node.logger,
    maxInFlight: config.admission.perStream,
    retryAfterMs: () => admission.retryAfterMs(),
    onBusy: () => node.metrics.question('busy', 'stream'),
  });
  const fault = (err: unknown) => node.logger.error({ err }, 'cannot answer a unary call');
  const implementation: NodeServiceServer = {
    count: unaryCall((call) => answer(call.request.signedQuery, contextOf(call)), fault),
    countStream: (call) => streams.serve(call),
    describe: unaryCall(() => node.describe(), fault),
    availability: unaryCall((call) => {
      const context = contextOf(call);
      return admitted(() => node.availability.answer(call.request.signedQuery, context), context);
    }, fault),
    grantedAvailability: unaryCall((call) => {
      const context = contextOf(call);
      return admitted(() => node.availability.granted(call.request, context), context);
    }, fault),
    pushRevocations: unaryCall(async (call) => ({ version: await node.availability.pushRevocations(call.request.revocationList) }), fault),
    listHolds: unaryCall((call) => node.stewardHolds.list(call.request.signedRequest, contextOf(call)), fault),
    decideHold: unaryCall((call) => node.stewardHolds.decide(call.request.signedRequest, contextOf(call)), fault),
  };
  server.addService(NodeServiceService, implementation);
  node.metrics.observe({
    holdsWaiting: () => node.holds.list('held').length,
    auditEntries: () => node.audit.list({ order: 'desc', limit: 1 })[0]?.seq ?? 0,
    indexState: () => node.indexState(),
    admission: () => admission.stats(),
  });
  const readiness = nodeReadiness(node);
  const health = new HealthImplementation(initialHealthStatuses(NODE_SERVICES));
  health.addToServer(server);
  const healthBinding = bindGrpcHealth(health, NODE_SERVICES, readiness);
  readiness.onChange((report) => node.logger.info({ ready: report.ready, checks: report.checks }, report.ready ? 'node ready' : 'node not ready'));
  await readiness.refresh();
  readiness.start(options.readinessEveryMs ?? READINESS_EVERY_MS);

  const bound = config.listen === null ? undefined : await bindServer(server, config.listen, serverCredentials(config.tls));
  const healthServer = config.httpListen === undefined ? undefined : await startHealthServer({ listen: config.httpListen, readiness, metrics: node.metrics.registry });
  node.logger.info(
    { address: bound?.address ?? null, http: healthServer?.address, tls: Boolean(config.tls), mutualTls: Boolean(config.tls?.requireClientCert), admission: config.admission },
    'node serving',
  );
  let connectOut: ConnectOut | undefined;
  // Written on every change of the connection out and every 30 s: `biospec node status` reads it.
  const status = startNodeStatusFile(config, { listening: bound?.address ?? null, connectOut: () => connectOut?.status() }, (err) =>
    node.logger.warn({ err }, 'cannot write the status file'),
  );
  // The access calls over a connection out: the same handlers, with the deadline the coordinator sent.
  const relay = <Req, Res>(method: { requestDeserialize: (b: Buffer) => Req; responseSerialize: (r: Res) => Buffer }, handle: (request: Req, context: AnswerContext) => Promise<Res>): RelayedHandler =>
    async (bytes, context) => method.responseSerialize(await handle(method.requestDeserialize(bytes), context));
  const { availability, grantedAvailability, pushRevocations, listHolds, decideHold } = NodeServiceService;
  const relayed: Record<string, RelayedHandler> = {
    [availability.path]: relay(availability, (request, context) => admitted(() => node.availability.answer(request.signedQuery, context), context)),
    [grantedAvailability.path]: relay(grantedAvailability, (request, context) => admitted(() => node.availability.granted(request, context), context)),
    [pushRevocations.path]: relay(pushRevocations, async (request) => ({ version: await node.availability.pushRevocations(request.revocationList) })),
    // A steward's requests, so a node with no inbound port can still be decided on from the coordinator.
    [listHolds.path]: relay(listHolds, (request, context) => node.stewardHolds.list(request.signedRequest, context)),
    [decideHold.path]: relay(decideHold, (request, context) => node.stewardHolds.decide(request.signedRequest, context)),
  };
  connectOut = config.connectOut ? startNodeConnectOut(node, { serveQueries: (queries) => streams.serve(queries), onStatus: () => status.changed(), relayed }) : undefined;

  return {
    port: bound?.port ?? 0,
    address: bound?.address ?? '',
    connectOut: () => connectOut?.status(),
    load: () => admission.stats(),
    readiness,
    ...(healthServer ? { health: healthServer } : {}),
    async stop(graceMs = 2000) {
      await readiness.stop();
      healthBinding.shutdown();
      await healthServer?.stop();
      // A coordinator's stream (and the link out) stays open between queries: end it once its queries are
      // answered, or shutdown waits out the grace period.
      streams.close();
      await Promise.all([shutdownServer(server, graceMs), connectOut?.stop(graceMs)]);
      status.stop();
      await node.close();
    },
  };
}
