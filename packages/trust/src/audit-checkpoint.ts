/**
 * Signed checkpoints of an audit log's chain head: a compact JWS (EdDSA) saying
 * "log L had N entries and entry N had hash H at time T". The newest is also kept in a
 * small file beside the database, so cutting entries off the end of the database or
 * recomputing its chain after an edit no longer goes unnoticed by whoever checks the
 * database against it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Buffer } from 'node:buffer';
import { BiospecError } from '@biospec/protocol';
import { z } from 'zod';
import { DEFAULT_MAX_TOKEN_BYTES, signCompactJws, verifyCompactJws } from './compact-jws.js';
import type { KeyRing, SigningKey } from './keys.js';

/** `typ` header of a signed audit checkpoint. */
export const AUDIT_CHECKPOINT_TYPE = 'biospec-audit-head+jwt';

const CheckpointSchema = z.object({
  /** Which log: the node id, or the coordinator id. */
  log: z.string().min(1).max(512),
  /** Entries in the log at the checkpoint (0: empty); the head is entry `seq`. */
  seq: z.number().int().nonnegative(),
  /** Hash of entry `seq` (the genesis hash for an empty log). */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** ISO 8601 time of signing. */
  time: z.string().min(1).max(64),
});

/** What a checkpoint states. */
export type AuditCheckpoint = z.infer<typeof CheckpointSchema>;

/** A checkpoint as read back: its claims, the key that signed it and the token itself. */
export interface VerifiedCheckpoint extends AuditCheckpoint {
  kid: string;
  token: string;
}

/** Signs a checkpoint with the log owner's key (the node's or the coordinator's). */
export function signCheckpoint(checkpoint: AuditCheckpoint, key: SigningKey): string {
  return signCompactJws(CheckpointSchema.parse(checkpoint), key, AUDIT_CHECKPOINT_TYPE);
}

/**
 * Checks a checkpoint token against `keys`. Throws UNAUTHENTICATED with the reason
 * (`unknown key id` when the key is not among `keys`, which is not evidence of forgery).
 */
export async function verifyCheckpoint(token: string, keys: KeyRing): Promise<VerifiedCheckpoint> {
  const { header, payload } = await verifyCompactJws(token, {
    keys,
    typ: AUDIT_CHECKPOINT_TYPE,
    maxTokenBytes: DEFAULT_MAX_TOKEN_BYTES,
    unsignedReason: 'checkpoint is not signed',
  });
  const parsed = CheckpointSchema.safeParse(payload);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.map(String).join('.') || 'checkpoint';
    throw new BiospecError('UNAUTHENTICATED', `invalid checkpoint field ${field}`, { issues: [{ field, message: 'invalid' }] });
  }
  return { ...parsed.data, kid: String(header.kid), token };
}

/** Reads a checkpoint's claims without checking its signature (to compare, never to trust). */
export function peekCheckpoint(token: string): AuditCheckpoint | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const parsed = CheckpointSchema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The head file of an audit database unless configured otherwise: `audit.db.head` beside `audit.db`. */
export function defaultHeadFile(databaseFile: string): string {
  return `${databaseFile}.head`;
}

/** The signed head in `file`, or undefined when there is none. */
export function readHeadFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BiospecError('FAILED_PRECONDITION', `cannot read audit head ${file}: ${(cause as Error).message}`, { cause });
  }
}

let temporaries = 0;

/**
 * A temporary name no other write of this process uses: a periodic write off
 * the main thread and the write at close can overlap, and with one shared
 * name the first rename takes the other's file away.
 */
function temporaryName(file: string): string {
  temporaries += 1;
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${temporaries}.tmp`);
}

/**
 * Replaces `file` with `token` atomically (a temporary file, flushed, then renamed),
 * mode 0600: a crash leaves the old head or the new one, never half of one.
 */
export function writeHeadFileSync(file: string, token: string): void {
  const temporary = temporaryName(file);
  const fd = fs.openSync(temporary, 'w', 0o600);
  try {
    fs.writeSync(fd, `${token}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
}

/** {@link writeHeadFileSync} off the main thread (libuv's pool), for the periodic checkpoints of a running service. */
export async function writeHeadFile(file: string, token: string): Promise<void> {
  const temporary = temporaryName(file);
  const handle = await fs.promises.open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(`${token}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // A write that finished later than a newer one (the head written at close, or by the log's
  // next opening) must not put the older head back: the rename is skipped then. The check and
  // the rename run in one turn of the event loop, so nothing of this process writes in between.
  if (seqOfHead(readHeadFile(file)) >= seqOfHead(token)) {
    await fs.promises.rm(temporary, { force: true });
    return;
  }
  fs.renameSync(temporary, file);
}

/** The entry count a head token vouches for, read without verifying it (−1 when unreadable). */
function seqOfHead(token: string | undefined): number {
  try {
    const payload = JSON.parse(Buffer.from((token ?? '').split('.')[1] ?? '', 'base64url').toString('utf8')) as { seq?: unknown };
    return typeof payload.seq === 'number' ? payload.seq : -1;
  } catch {
    return -1;
  }
}
