/**
 * The catalogue's own audit trail: one row per import and per consent
 * withdrawal, written in the same transaction as the change it describes.
 */
import type Database from 'better-sqlite3';

/** One recorded change to the catalogue. */
export interface CatalogueEvent {
  id: number;
  /** ISO 8601 time the change committed. */
  at: string;
  kind: 'import' | 'withdrawal';
  actor: string | null;
  /** Import source (file path or description). */
  source: string | null;
  /** Donor pseudonym of a withdrawal. */
  donorId: string | null;
  reason: string | null;
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
  /** Specimens a withdrawal set to `withdrawn`. */
  withdrawn: number;
  /** Data epoch after the change. */
  epoch: number;
  durationMs: number | null;
}

export type NewEvent = Omit<CatalogueEvent, 'id' | 'at' | 'added' | 'changed' | 'unchanged' | 'removed' | 'withdrawn'> &
  Partial<Pick<CatalogueEvent, 'added' | 'changed' | 'unchanged' | 'removed' | 'withdrawn'>>;

export function recordEvent(db: Database.Database, event: NewEvent): void {
  db.prepare(
    `INSERT INTO catalogue_events (at, kind, actor, source, donor_id, reason, added, changed, unchanged, removed, withdrawn, epoch, duration_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    new Date().toISOString(),
    event.kind,
    event.actor,
    event.source,
    event.donorId,
    event.reason,
    event.added ?? 0,
    event.changed ?? 0,
    event.unchanged ?? 0,
    event.removed ?? 0,
    event.withdrawn ?? 0,
    event.epoch,
    event.durationMs === null ? null : Math.round(event.durationMs),
  );
}

interface EventRow {
  id: number;
  at: string;
  kind: 'import' | 'withdrawal';
  actor: string | null;
  source: string | null;
  donor_id: string | null;
  reason: string | null;
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
  withdrawn: number;
  epoch: number;
  duration_ms: number | null;
}

/** The newest `limit` events, newest first. */
export function listEvents(db: Database.Database, limit: number): CatalogueEvent[] {
  const rows = db.prepare('SELECT * FROM catalogue_events ORDER BY id DESC LIMIT ?').all(limit) as EventRow[];
  return rows.map(({ donor_id, duration_ms, ...rest }) => ({ ...rest, donorId: donor_id, durationMs: duration_ms }));
}
