import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ConnectOutStatus } from '@biospec/connect';
import type { NodeConfig } from './config.js';

/** What a running node says about itself in `state/status.json`, for `biospec node status`. */
export interface NodeStatus {
  nodeId: string;
  pid: number;
  startedAt: string;
  /** Rewritten at least every {@link STATUS_REFRESH_MS}: older means the process is gone or stuck. */
  updatedAt: string;
  /** The address the node serves gRPC on, or null when it listens on no port. */
  listening: string | null;
  /** Its connection to the coordinator, when it connects out. */
  connectOut: ConnectOutStatus | null;
  /** False once the node has stopped cleanly. */
  running: boolean;
}

/**
 * How often a running node rewrites its status file when nothing changed, so a reader can tell a
 * hung process (or one killed without a chance to say so) from a running one.
 */
export const STATUS_REFRESH_MS = 30_000;

export const NodeStatusSchema = z.object({
  nodeId: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
  updatedAt: z.string(),
  listening: z.string().nullable(),
  connectOut: z
    .object({
      coordinator: z.string(),
      state: z.enum(['connecting', 'connected', 'retrying', 'stopped']),
      since: z.string(),
      coordinatorId: z.string().optional(),
      failures: z.number(),
      lastError: z.string().optional(),
      retryInMs: z.number().optional(),
      connections: z.number(),
    })
    .nullable(),
  running: z.boolean(),
});

export function nodeStatusFile(config: NodeConfig): string {
  return path.join(config.stateDir, 'status.json');
}

/**
 * Keeps `state/status.json` current while the node runs: written on every change of its
 * connection and every {@link STATUS_REFRESH_MS} otherwise, each time whole (beside, then renamed over), so a reader
 * never sees half a file and can tell a stopped or stuck process by its age.
 */
export function startNodeStatusFile(
  config: NodeConfig,
  source: { listening: string | null; connectOut: () => ConnectOutStatus | undefined },
  onError: (err: unknown) => void,
): { changed(): void; stop(): void } {
  const file = nodeStatusFile(config);
  const startedAt = new Date().toISOString();
  const write = (running: boolean) => {
    const status: NodeStatus = {
      nodeId: config.nodeId,
      pid: process.pid,
      startedAt,
      updatedAt: new Date().toISOString(),
      listening: source.listening,
      connectOut: source.connectOut() ?? null,
      running,
    };
    const temporary = `${file}.${process.pid}.tmp`;
    // From timers and events nothing may throw (it would end the node): a failed write is reported and tried again next time.
    try {
      fs.writeFileSync(temporary, JSON.stringify(status, null, 2) + '\n', { mode: 0o600 });
      fs.renameSync(temporary, file);
    } catch (err) {
      onError(err);
    }
  };
  write(true);
  const timer = setInterval(() => write(true), STATUS_REFRESH_MS);
  timer.unref();
  return {
    changed: () => write(true),
    stop() {
      clearInterval(timer);
      write(false);
    },
  };
}

/** Reads a node's status file; undefined when there is none (the node never ran with this release). */
export function readNodeStatus(config: NodeConfig): NodeStatus | undefined {
  const file = nodeStatusFile(config);
  if (!fs.existsSync(file)) return undefined;
  return NodeStatusSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
}
