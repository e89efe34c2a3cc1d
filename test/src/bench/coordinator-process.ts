import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(here, '../../../packages/cli/dist/bin.js');

/** A coordinator in its own process (`biospec coordinator start`), so its CPU and memory can be read on their own. */
export interface CoordinatorProcess {
  pid: number;
  url: string;
  /** Where nodes connect out to, when its config has `nodeConnect`. */
  connectAddress: string | undefined;
  /** `POST /api/v1/count` as the researcher; resolves with the parsed answer, rejects on any status but 200. */
  count(body: unknown): Promise<{ sites: { nodeId: string; status: string }[]; total?: unknown; strata?: unknown }>;
  stop(): Promise<void>;
}

/** Starts `biospec coordinator start --dir DIR` and resolves once it serves REST. */
export async function startCoordinatorProcess(dir: string, token: string): Promise<CoordinatorProcess> {
  // A coordinator of a thousand members answers with a thousand signed results: give its heap room.
  const child: ChildProcess = spawn(process.execPath, ['--max-old-space-size=4096', BIN, 'coordinator', 'start', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let err = '';
  // The service logs one JSON line per federated question on stderr: read, never buffered whole.
  child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-2000)));
  const started = await new Promise<RegExpExecArray>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /REST on (\S+?)(?:, nodes connect out to (\S+))? \(/.exec(out);
      if (match) resolve(match);
    });
    exited.then((code) => reject(new Error(`coordinator exited with ${code}: ${err}`)), reject);
  });
  // The load generator shares the machine: plain node:http on a kept-alive connection costs least.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const url = started[1]!;
  return {
    pid: child.pid!,
    url,
    connectAddress: started[2],
    count: (body) =>
      new Promise((resolve, reject) => {
        const request = http.request(
          `${url}/api/v1/count`,
          { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              if (response.statusCode !== 200) reject(new Error(`coordinator answered ${response.statusCode}: ${text.slice(0, 500)}`));
              else resolve(JSON.parse(text) as { sites: { nodeId: string; status: string }[] });
            });
            response.on('error', reject);
          },
        );
        request.on('error', reject);
        request.end(JSON.stringify(body));
      }),
    async stop() {
      agent.destroy();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
