import { spawn, type ChildProcess } from 'node:child_process';
import { BIOSPEC_BIN } from './cli.js';

export interface ChildCoordinator {
  /** The REST base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  grpcAddress: string;
  process: ChildProcess;
  /** What the process wrote to stderr (its JSON log lines). */
  stderr(): string;
  /** Ends it with SIGTERM (or the given signal) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A coordinator in its own process, started with `biospec coordinator start` exactly as an
 * operator runs it, on free ports, with `env` added (a shared database's URL, say).
 */
export async function startChildCoordinator(dir: string, env: Record<string, string>): Promise<ChildCoordinator> {
  const child = spawn(process.execPath, [BIOSPEC_BIN, 'coordinator', 'start', '--dir', dir], {
    env: { ...process.env, BIOSPEC_COORDINATOR_HTTP_LISTEN: '127.0.0.1:0', BIOSPEC_COORDINATOR_GRPC_LISTEN: '127.0.0.1:0', BIOSPEC_COORDINATOR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = await new Promise<{ grpc: string; url: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`coordinator did not start within 60 s: ${stderr}`));
    }, 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /coordinator serving gRPC on (\S+), REST on (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ grpc: match[1]!, url: match[2]! });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`coordinator exited with ${code} before serving: ${stderr}`));
    });
  });
  return {
    url: started.url,
    grpcAddress: started.grpc,
    process: child,
    stderr: () => stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
