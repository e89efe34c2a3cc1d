import net from 'node:net';

export interface TcpProxy {
  port: number;
  /**
   * Stops forwarding on every connection open now, without closing any: bytes in either direction
   * vanish, and a side that closes its end is not passed on to the other.
   */
  dropSilently(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy that can drop the connections passing through it without a word, as a NAT or
 * firewall that forgets a connection does: bytes in either direction vanish, nothing is closed.
 * Connections made afterwards pass normally.
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const connections = new Set<{ client: net.Socket; upstream: net.Socket; dropped: boolean }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const connection = { client, upstream, dropped: false };
    connections.add(connection);
    client.on('data', (data) => void (connection.dropped || upstream.write(data)));
    upstream.on('data', (data) => void (connection.dropped || client.write(data)));
    const close = () => {
      // A forgotten connection tells neither side that the other went away, not even when one of them closes.
      if (connection.dropped) return;
      connections.delete(connection);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    dropSilently() {
      for (const c of connections) c.dropped = true;
    },
    async close() {
      for (const c of connections) {
        c.client.destroy();
        c.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port free now on 127.0.0.1, for a server that must keep one port across restarts. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
