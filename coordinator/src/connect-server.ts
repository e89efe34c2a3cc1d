import { Server } from '@grpc/grpc-js';
import { Gauge } from 'prom-client';
import { bindServer, NodeConnectServiceService, serverCredentials, shutdownServer, type NodeConnectServiceServer } from '@biospec/protocol';
import type { OpenCoordinator } from './open-coordinator.js';
import type { RunningServer } from './grpc-server.js';

import { MAX_GRANTED_ANSWER_BYTES } from './members.js';

/**
 * The listener nodes without an inbound port dial (`nodeConnect` in coordinator.json): its own
 * server, apart from the researcher-facing one, because its peers are nodes (their TLS client
 * certificates, their answers' size) and it pings every connection, so a link dropped without a
 * word is noticed within `nodeKeepalive.timeMs + timeoutMs` and its node shown unreachable.
 */
export async function startNodeConnectServer(coordinator: OpenCoordinator): Promise<RunningServer> {
  const { config, connectLinks } = coordinator;
  const nodeConnect = config.nodeConnect!;
  const server = new Server({
    // A link carries a node's granted answers too, the largest it may send on a direct connection's second channel.
    'grpc.max_receive_message_length': MAX_GRANTED_ANSWER_BYTES,
    'grpc.keepalive_time_ms': config.nodeKeepalive.timeMs,
    'grpc.keepalive_timeout_ms': config.nodeKeepalive.timeoutMs,
    // Nodes ping their side of the link too (connectOut.keepalive), also between queries.
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1000,
  });
  const implementation: NodeConnectServiceServer = { connect: (call) => connectLinks.handle(call) };
  server.addService(NodeConnectServiceService, implementation);
  const { port, address } = await bindServer(server, nodeConnect.listen, serverCredentials(nodeConnect.tls));
  if (!coordinator.metrics.registry.getSingleMetric('biospec_connect_out_nodes')) {
    new Gauge({
      name: 'biospec_connect_out_nodes',
      help: 'Member nodes connected out to this coordinator now',
      registers: [coordinator.metrics.registry],
      collect() {
        this.set(connectLinks.stats().connected);
      },
    });
  }
  coordinator.logger.info({ address, tls: Boolean(nodeConnect.tls), mutualTls: Boolean(nodeConnect.tls?.requireClientCert) }, 'listening for nodes that connect out');
  return {
    port,
    address,
    async stop(graceMs = 2000) {
      // Links never end by themselves: end them (their nodes dial again, elsewhere or later).
      connectLinks.close();
      await shutdownServer(server, graceMs);
    },
  };
}
