import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BiospecError } from '@biospec/protocol';
import { NodeDescriptorSchema } from './descriptor.js';
import type { Directory, DirectoryEntry, RestoredEntry } from './directory.js';
import { DROP_REASONS } from './inspect-descriptor.js';

/**
 * What a running node or coordinator sees in the directory, written to a small JSON file for
 * `biospec directory` to read (the CLI needs no connection to the service, and still shows the
 * last known state, with its time, when the service is down). The service reads it back at
 * start so first-use trust survives restarts.
 */
export const DirectorySnapshotSchema = z.object({
  version: z.literal(1),
  writtenAt: z.iso.datetime(),
  /** Who wrote it. */
  owner: z.object({ role: z.enum(['node', 'coordinator']), id: z.string(), peerId: z.string(), addresses: z.array(z.string()) }),
  staleAfterMs: z.number().int().positive(),
  stats: z.object({
    accepted: z.number().int().min(0),
    duplicates: z.number().int().min(0),
    superseded: z.number().int().min(0).default(0),
    dropped: z.object(Object.fromEntries(DROP_REASONS.map((r) => [r, z.number().int().min(0)])) as Record<(typeof DROP_REASONS)[number], z.ZodNumber>),
  }),
  entries: z.array(
    z.object({
      nodeId: z.string(),
      descriptor: NodeDescriptorSchema,
      token: z.string(),
      signedBy: z.string(),
      trust: z.enum(['pinned', 'first-use']),
      firstSeenAt: z.number(),
      lastSeenAt: z.number(),
      changedAt: z.number(),
      stale: z.boolean(),
      /** What the writing service has to say about this node (e.g. a coordinator: not a member, endpoint differs). */
      notes: z.array(z.string()).default([]),
    }),
  ),
});
export type DirectorySnapshot = z.infer<typeof DirectorySnapshotSchema>;

/** Options of {@link startSnapshotWriter}. */
export interface SnapshotWriterOptions {
  directory: Directory;
  file: string;
  owner: { role: 'node' | 'coordinator'; id: string; addresses?: () => string[] };
  staleAfterMs: number;
  /** Notes per entry, e.g. how a coordinator's membership differs from what the node announces. */
  annotate?: (entry: DirectoryEntry) => string[];
  /** Rewritten this often even without changes, so "last seen" ages stay current. Default 5 s. */
  intervalMs?: number;
  /** A write that failed in the background (the first one, at start, throws instead). */
  onError: (error: Error) => void;
}

/** Writes the snapshot now (throwing if it cannot), then on every change or stale node and every `intervalMs`; `stop` writes it a last time. */
export function startSnapshotWriter(options: SnapshotWriterOptions): { write(): void; stop(): void } {
  const { directory, file } = options;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const write = () => {
    const snapshot: DirectorySnapshot = {
      version: 1,
      writtenAt: new Date().toISOString(),
      owner: { role: options.owner.role, id: options.owner.id, peerId: directory.peerId, addresses: options.owner.addresses?.() ?? [] },
      staleAfterMs: options.staleAfterMs,
      stats: directory.stats(),
      entries: directory.current().map((entry) => ({ ...entry, notes: options.annotate?.(entry) ?? [] })),
    };
    // Written beside and renamed over, so a reader never sees half a file.
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(snapshot, null, 2) + '\n');
    fs.renameSync(temporary, file);
  };
  // From timers and events nothing may throw (it would end the service): a failed write is reported and retried next time.
  const tryWrite = () => {
    try {
      write();
    } catch (error) {
      options.onError(error instanceof Error ? error : new Error(String(error)));
    }
  };
  write();
  const timer = setInterval(tryWrite, options.intervalMs ?? 5000);
  timer.unref();
  const offChange = directory.on('change', tryWrite);
  const offStale = directory.on('stale', tryWrite);
  return {
    write,
    stop() {
      clearInterval(timer);
      offChange();
      offStale();
      tryWrite();
    },
  };
}

/** Reads a snapshot; a missing or invalid file is an INVALID_ARGUMENT naming the file and the field. */
export function readDirectorySnapshot(file: string): DirectorySnapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new BiospecError('INVALID_ARGUMENT', `cannot read directory snapshot ${file}: ${(cause as Error).message}`, { cause });
  }
  const parsed = DirectorySnapshotSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(root)';
    throw new BiospecError('INVALID_ARGUMENT', `directory snapshot ${file} is invalid at ${field}: ${issue?.message ?? ''}`, {
      issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message })),
    });
  }
  return parsed.data;
}

/** The entries of an earlier snapshot, to hand to a new directory as `restore`; none when there is no file yet. */
export function restoredEntries(file: string): RestoredEntry[] {
  if (!fs.existsSync(file)) return [];
  return readDirectorySnapshot(file).entries.map((e) => ({ token: e.token, firstSeenAt: e.firstSeenAt, lastSeenAt: e.lastSeenAt }));
}
