import { channelCredentials, DescribeResponse, NodeServiceService } from '@biospec/protocol';
import { startConnectOut, type ConnectOut, type ConnectOutStatus, type LinkQueries, type RelayedHandler } from '@biospec/connect';
import type { OpenNode } from './open-node.js';

/**
 * Connects the node out to its coordinator (`connectOut` in node.json): the coordinator's queries
 * arrive over that connection and are served by `serveQueries`, the very path of a CountStream
 * call (admission, per-stream limit, verify, count, protect, sign, audit); Describe is answered
 * over it too, so the coordinator lists the node like any other, and so are the access calls
 * (`relayed`: availability, granted availability, revocation pushes) and a steward's requests on held
 * questions, through the server's own handlers.
 */
export function startNodeConnectOut(
  node: OpenNode,
  parts: { serveQueries: (queries: LinkQueries) => void; onStatus: (status: ConnectOutStatus) => void; relayed: Readonly<Record<string, RelayedHandler>> },
): ConnectOut {
  const { config } = node;
  const connect = config.connectOut!;
  const describe = NodeServiceService.describe;
  return startConnectOut({
    coordinator: connect.coordinator,
    credentials: channelCredentials(connect.tls),
    nodeId: config.nodeId,
    signingKey: node.signingKey,
    coordinatorIds: config.coordinatorIds,
    keepalive: connect.keepalive,
    backoff: connect.backoff,
    maxMessageBytes: config.maxMessageBytes,
    serveQueries: parts.serveQueries,
    relayed: {
      ...parts.relayed,
      [describe.path]: async () => describe.responseSerialize(DescribeResponse.fromPartial(await node.describe())),
    },
    log: node.logger,
    onStatus: parts.onStatus,
  });
}
