import type { Server, ServerCredentials } from '@grpc/grpc-js';

/** Binds `server` to `listen` (host:port, port 0 for any free one) and returns the address actually bound. */
export async function bindServer(server: Server, listen: string, credentials: ServerCredentials): Promise<{ port: number; address: string }> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return { port, address: `${listen.slice(0, listen.lastIndexOf(':'))}:${port}` };
}

/** Lets running calls finish for up to `graceMs`, then cuts the rest off. */
export function shutdownServer(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
