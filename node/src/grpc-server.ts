import { Server, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { bindServer, NodeServiceService, serverCredentials, shutdownServer, toGrpcError, type NodeServiceServer } from '@biospec/protocol';
import { createCountStreams } from './count-stream.js';
import type { OpenNode } from './open-node.js';

/** A running node server; `port` is the bound one (useful when the config said port 0). */
export interface RunningNodeServer {
  port: number;
  address: string;
  /** Stops accepting calls, lets running ones finish for `graceMs`, then closes the stores. */
  stop(graceMs?: number): Promise<void>;
}

function unary<Req, Res>(handler: (request: Req) => Promise<Res> | Res) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    Promise.resolve()
      .then(() => handler(call.request))
      .then(
        (response) => callback(null, response),
        (reason: unknown) => callback(toGrpcError(reason)),
      );
  };
}

/** Serves NodeService and the standard gRPC health service on the configured address. */
export async function startNodeServer(node: OpenNode): Promise<RunningNodeServer> {
  const { config } = node;
  const server = new Server({
    'grpc.max_receive_message_length': config.maxMessageBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  const streams = createCountStreams({ answer: (signedQuery) => node.pipeline.answer(signedQuery), logger: node.logger });
  const implementation: NodeServiceServer = {
    count: unary((request) => node.pipeline.answer(request.signedQuery)),
    countStream: (call) => streams.serve(call),
    describe: unary(() => node.describe()),
  };
  server.addService(NodeServiceService, implementation);
  const health = new HealthImplementation({ '': 'SERVING', 'biospecimen.v1.NodeService': 'SERVING' });
  health.addToServer(server);

  const { port, address } = await bindServer(server, config.listen, serverCredentials(config.tls));
  node.logger.info({ address, tls: Boolean(config.tls), mutualTls: Boolean(config.tls?.requireClientCert) }, 'node serving');

  return {
    port,
    address,
    async stop(graceMs = 2000) {
      health.setStatus('', 'NOT_SERVING');
      // A coordinator's stream stays open between queries: end it, or shutdown waits out the grace period.
      streams.close();
      await shutdownServer(server, graceMs);
      await node.close();
    },
  };
}
