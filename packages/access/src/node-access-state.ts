/**
 * What a node keeps for the access workflow, in its `state/access.db`: its published
 * collection list (imported from its description file) and the newest revocation list it
 * has seen, so a granted question signed under an older list is refused, also after a
 * restart and also at a node that was down when a grant was revoked.
 */
import Database from 'better-sqlite3';
import { BiospecError, migrateSchema, type SchemaMigration } from '@biospec/protocol';
import { collectionsDigest, parseCollections, type CollectionDescription } from './collections.js';
import type { SeenRevocations } from './grant-token.js';

type Db = Database.Database;

export const NODE_ACCESS_STATE_MIGRATIONS: readonly SchemaMigration<Db>[] = [
  {
    version: 1,
    description: 'published collections and the newest revocation list seen',
    up: (db) =>
      db.exec(`
        CREATE TABLE published_collection (
          id          TEXT PRIMARY KEY,
          description TEXT NOT NULL
        ) STRICT;
        CREATE TABLE collections_import (
          seq         INTEGER PRIMARY KEY AUTOINCREMENT,
          digest      TEXT NOT NULL,
          collections INTEGER NOT NULL,
          actor       TEXT,
          source      TEXT,
          at          TEXT NOT NULL
        ) STRICT;
        CREATE TABLE revocations_seen (
          id       INTEGER PRIMARY KEY CHECK (id = 1),
          version  INTEGER NOT NULL,
          revoked  TEXT NOT NULL,
          token    TEXT NOT NULL,
          seen_at  TEXT NOT NULL
        ) STRICT;
      `),
  },
];

export interface PublishedCollections {
  collections: CollectionDescription[];
  /** {@link collectionsDigest} of the list. */
  digest: string;
  /** When the list was last imported; null before the first import. */
  importedAt: string | null;
}

export interface NodeAccessState {
  published(): PublishedCollections;
  /** Replaces the published list atomically (validated again here). */
  publish(collections: readonly CollectionDescription[], options?: { actor?: string; source?: string }): PublishedCollections;
  /** The newest revocation list seen (version 0 and nothing revoked before any). */
  revocations(): SeenRevocations & { token: string };
  /**
   * Keeps a newer list; an older or equal version changes nothing. Returns the list now in force.
   * Atomic, so two questions carrying different lists cannot move the version back.
   */
  acceptRevocations(version: number, revoked: readonly string[], token: string): SeenRevocations;
  close(): void;
}

export function createNodeAccessState(path: string, options: { now?: () => Date } = {}): NodeAccessState {
  const now = options.now ?? (() => new Date());
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    // A revocation seen must survive a crash: a node must never again accept a list older than it.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    migrateSchema(db, NODE_ACCESS_STATE_MIGRATIONS, `access state ${path}`);
  } catch (error) {
    db.close();
    throw error;
  }
  const seen = db.prepare<[], { version: number; revoked: string; token: string }>('SELECT version, revoked, token FROM revocations_seen WHERE id = 1');
  // Another process (`biospec node collections import`) may publish while the node runs: the newest import decides.
  const newestImport = db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM collections_import');
  let cache: { seq: number | null; published: PublishedCollections } | undefined;
  const read = (): PublishedCollections => {
    const collections = db
      .prepare<[], { description: string }>('SELECT description FROM published_collection ORDER BY id')
      .all()
      .map((r) => JSON.parse(r.description) as CollectionDescription);
    const last = db.prepare<[], { at: string }>('SELECT at FROM collections_import ORDER BY seq DESC LIMIT 1').get();
    return { collections, digest: collectionsDigest(collections), importedAt: last?.at ?? null };
  };
  const published = (): PublishedCollections => {
    const seq = newestImport.get()?.seq ?? null;
    if (cache === undefined || cache.seq !== seq) cache = { seq, published: read() };
    return cache.published;
  };
  return {
    published,
    publish(collections, publishOptions = {}) {
      const checked = parseCollections(collections);
      db.transaction(() => {
        db.prepare('DELETE FROM published_collection').run();
        const insert = db.prepare('INSERT INTO published_collection (id, description) VALUES (?, ?)');
        for (const c of checked) insert.run(c.id, JSON.stringify(c));
        db.prepare('INSERT INTO collections_import (digest, collections, actor, source, at) VALUES (?, ?, ?, ?, ?)').run(
          collectionsDigest(checked),
          checked.length,
          publishOptions.actor ?? null,
          publishOptions.source ?? null,
          now().toISOString(),
        );
      }).immediate();
      return published();
    },
    revocations() {
      const row = seen.get();
      return row === undefined ? { version: 0, revoked: [], token: '' } : { version: row.version, revoked: JSON.parse(row.revoked) as string[], token: row.token };
    },
    acceptRevocations(version, revoked, token) {
      if (!Number.isSafeInteger(version) || version < 1) throw new BiospecError('INVALID_ARGUMENT', `revocation list version must be a positive integer, got ${version}`);
      return db.transaction(() => {
        const row = seen.get();
        if (row !== undefined && row.version >= version) return { version: row.version, revoked: JSON.parse(row.revoked) as string[] };
        db.prepare(
          `INSERT INTO revocations_seen (id, version, revoked, token, seen_at) VALUES (1, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET version = excluded.version, revoked = excluded.revoked, token = excluded.token, seen_at = excluded.seen_at`,
        ).run(version, JSON.stringify([...revoked]), token, now().toISOString());
        return { version, revoked: [...revoked] };
      }).immediate();
    },
    close: () => db.close(),
  };
}
