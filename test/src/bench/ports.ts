import net from 'node:net';

/** A port free now on 127.0.0.1, for a listener whose address others must know before it starts. */
export async function freePortOnLoopback(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
