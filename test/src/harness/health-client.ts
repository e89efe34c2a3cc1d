import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

type HealthClient = Client & {
  check(request: { service: string }, callback: (err: ServiceError | null, response: { status: string | number }) => void): void;
};

const HealthClientConstructor = makeGenericClientConstructor(healthService as Parameters<typeof makeGenericClientConstructor>[0], 'Health');

/** Asks a server's standard gRPC health service about `service` ('' for the whole server); resolves with the status name. */
export async function grpcHealth(address: string, service: string): Promise<string> {
  const client = new HealthClientConstructor(address, credentials.createInsecure()) as unknown as HealthClient;
  try {
    return await new Promise<string>((resolve, reject) =>
      client.check({ service }, (err, response) => (err ? reject(err) : resolve(String(response.status)))),
    );
  } finally {
    client.close();
  }
}

/** The value of one Prometheus sample (`name{labels}`), or undefined when the text has none. */
export function sample(metrics: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of metrics.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}
