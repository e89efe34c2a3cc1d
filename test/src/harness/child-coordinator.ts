import { spawn, type ChildProcess } from 'node:child_process';
import { BIOSPEC_BIN } from './cli.js';

export interface ChildCoordinator {
  process: ChildProcess;
  url: string;
  /** Everything it wrote to stdout and stderr (its logs), so far. */
  output(): string;
  /** Waits for the process to end (after a signal). */
  exited: Promise<number | null>;
}

/** `biospec coordinator start --dir DIR` in its own process, as an operator runs it; resolves once it serves. */
export async function startChildCoordinator(dir: string): Promise<ChildCoordinator> {
  const child = spawn(process.execPath, [BIOSPEC_BIN, 'coordinator', 'start', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
      const serving = /REST on (\S+)/.exec(stdout);
      if (serving) resolve(serving[1]!);
    });
    child.once('exit', (code) => reject(new Error(`coordinator exited with ${code} before serving: ${output}`)));
  });
  return { process: child, url, output: () => output, exited };
}
