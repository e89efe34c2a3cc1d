import { spawn, type ChildProcess } from 'node:child_process';
import { BIOSPEC_BIN } from './cli.js';

export interface ChildCoordinator {
  /** The REST base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  grpcAddress: string;
  process: ChildProcess;
  /** Everything it wrote to stdout and stderr (its logs), so far. */
  output(): string;
  /** What the process wrote to stderr (its JSON log lines). */
  stderr(): string;
  /** Resolves with its exit code once the process has ended (after a signal, say). */
  exited: Promise<number | null>;
  /** Ends it with SIGTERM (or the given signal) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A coordinator in its own process, started with `biospec coordinator start --dir DIR` exactly
 * as an operator runs it, on free ports, with `env` added (a shared database's URL, say);
 * resolves once it serves.
 */
export async function startChildCoordinator(dir: string, env: Record<string, string> = {}): Promise<ChildCoordinator> {
  const child = spawn(process.execPath, [BIOSPEC_BIN, 'coordinator', 'start', '--dir', dir], {
    env: { ...process.env, BIOSPEC_COORDINATOR_HTTP_LISTEN: '127.0.0.1:0', BIOSPEC_COORDINATOR_GRPC_LISTEN: '127.0.0.1:0', BIOSPEC_COORDINATOR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    output += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = await new Promise<{ grpc: string; url: string }>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`coordinator did not start within 60 s: ${output}`));
    }, 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      output += chunk.toString('utf8');
      const match = /coordinator serving gRPC on (\S+), REST on (\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ grpc: match[1]!, url: match[2]! });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`coordinator exited with ${code} before serving: ${output}`));
    });
  });
  return {
    url: started.url,
    grpcAddress: started.grpc,
    process: child,
    output: () => output,
    stderr: () => stderr,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
