/**
 * The access workflow's records in one SQLite file (the coordinator's `state/access.db`, when
 * its config names no PostgreSQL database):
 * WAL with `synchronous = FULL`, because a request, a transition or a revocation that was
 * acknowledged must survive a crash (writes are few; each costs an fsync).
 */
import Database from 'better-sqlite3';
import { BiospecError, migrateSchema, type SchemaMigration } from '@biospec/protocol';
import type { AccessRequest, Membership, RevocationList } from './model.js';
import type { AccessStore, GrantRepository, MembershipRepository, NewTransition, RequestRepository } from './repositories.js';
import {
  commentColumns,
  deliveryColumns,
  grantColumns,
  membershipColumns,
  membershipTransitionColumns,
  requestFieldColumns,
  siteColumns,
  toAwaitingSite,
  toComment,
  toDelivery,
  toGrant,
  toMembership,
  toMembershipTransition,
  toRequest,
  toRevocationList,
  toTransition,
  transitionColumns,
  type AwaitingSiteRow,
  type CommentRow,
  type DeliveryRow,
  type GrantRow,
  type MembershipRow,
  type MembershipTransitionRow,
  type RequestRow,
  type RevocationListRow,
  type SiteRow,
  type TransitionRow,
} from './store-rows.js';

type Db = Database.Database;

/** Schema history of the access store (`PRAGMA user_version`); append, never edit a released step. */
export const ACCESS_STORE_MIGRATIONS: readonly SchemaMigration<Db>[] = [
  {
    version: 1,
    description: 'requests, sites, transitions, comments, grants, revocation lists, deliveries, memberships',
    up: (db) =>
      db.exec(`
        CREATE TABLE access_request (
          id               TEXT PRIMARY KEY,
          researcher_id    TEXT NOT NULL,
          state            TEXT NOT NULL,
          title            TEXT NOT NULL,
          description      TEXT NOT NULL,
          ethics_reference TEXT NOT NULL,
          purpose          TEXT NOT NULL,
          origin           TEXT NOT NULL,
          collections      TEXT NOT NULL,
          attachments      TEXT NOT NULL,
          encryption_key   TEXT,
          created_at       TEXT NOT NULL,
          updated_at       TEXT NOT NULL
        ) STRICT;
        CREATE INDEX access_request_researcher ON access_request (researcher_id);
        CREATE TABLE request_site (
          request_id  TEXT NOT NULL REFERENCES access_request (id),
          node_id     TEXT NOT NULL,
          state       TEXT NOT NULL,
          collections TEXT NOT NULL,
          updated_at  TEXT NOT NULL,
          reminded_at TEXT,
          PRIMARY KEY (request_id, node_id)
        ) STRICT;
        CREATE INDEX request_site_node ON request_site (node_id);
        CREATE TABLE request_transition (
          seq          INTEGER PRIMARY KEY AUTOINCREMENT,
          request_id   TEXT NOT NULL REFERENCES access_request (id),
          node_id      TEXT,
          from_state   TEXT,
          to_state     TEXT NOT NULL,
          action       TEXT NOT NULL,
          actor_person TEXT NOT NULL,
          actor_name   TEXT,
          actor_role   TEXT NOT NULL,
          at           TEXT NOT NULL,
          reason       TEXT NOT NULL
        ) STRICT;
        CREATE INDEX request_transition_request ON request_transition (request_id, seq);
        CREATE TABLE request_comment (
          id           TEXT PRIMARY KEY,
          seq          INTEGER NOT NULL,
          request_id   TEXT NOT NULL REFERENCES access_request (id),
          node_id      TEXT,
          author_person TEXT NOT NULL,
          author_name  TEXT,
          author_role  TEXT NOT NULL,
          body         TEXT NOT NULL,
          at           TEXT NOT NULL
        ) STRICT;
        CREATE INDEX request_comment_request ON request_comment (request_id, seq);
        CREATE TABLE access_grant (
          id            TEXT PRIMARY KEY,
          request_id    TEXT NOT NULL REFERENCES access_request (id),
          node_id       TEXT NOT NULL,
          subject       TEXT NOT NULL,
          issued_at     TEXT NOT NULL,
          expires_at    TEXT NOT NULL,
          token         TEXT NOT NULL,
          revoked_at    TEXT,
          revoked_by    TEXT,
          revoke_reason TEXT
        ) STRICT;
        CREATE INDEX access_grant_request ON access_grant (request_id);
        CREATE TABLE revocation_list (
          version   INTEGER PRIMARY KEY,
          issued_at TEXT NOT NULL,
          token     TEXT NOT NULL
        ) STRICT;
        CREATE TABLE delivery (
          id         TEXT PRIMARY KEY,
          seq        INTEGER NOT NULL,
          request_id TEXT NOT NULL REFERENCES access_request (id),
          node_id    TEXT NOT NULL,
          grant_id   TEXT NOT NULL REFERENCES access_grant (id),
          sha256     TEXT NOT NULL,
          bytes      INTEGER NOT NULL,
          at         TEXT NOT NULL
        ) STRICT;
        CREATE INDEX delivery_request ON delivery (request_id, seq);
        CREATE TABLE membership (
          node_id     TEXT PRIMARY KEY,
          name        TEXT NOT NULL,
          endpoint    TEXT NOT NULL,
          jwks        TEXT NOT NULL,
          contact     TEXT,
          state       TEXT NOT NULL,
          application TEXT NOT NULL,
          updated_at  TEXT NOT NULL
        ) STRICT;
        CREATE TABLE membership_transition (
          seq          INTEGER PRIMARY KEY AUTOINCREMENT,
          node_id      TEXT NOT NULL,
          from_state   TEXT,
          to_state     TEXT NOT NULL,
          actor_person TEXT NOT NULL,
          actor_name   TEXT,
          actor_role   TEXT NOT NULL,
          at           TEXT NOT NULL,
          reason       TEXT NOT NULL
        ) STRICT;
        CREATE INDEX membership_transition_node ON membership_transition (node_id, seq);
      `),
  },
];

/** Opens (creating and migrating) the access store at `path`; `:memory:` for tests. */
export function createSqliteAccessStore(path: string): AccessStore {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    migrateSchema(db, ACCESS_STORE_MIGRATIONS, `access store ${path}`);
  } catch (error) {
    db.close();
    throw error;
  }
  const requests = sqliteRequests(db);
  const grants = sqliteGrants(db);
  const memberships = sqliteMemberships(db);
  return {
    requests,
    grants,
    memberships,
    async close() {
      db.close();
    },
  };
}

function sqliteRequests(db: Db): RequestRepository {
  const requestRow = db.prepare<[string], RequestRow>('SELECT * FROM access_request WHERE id = ?');
  const siteRows = db.prepare<[string], SiteRow>('SELECT * FROM request_site WHERE request_id = ? ORDER BY node_id');
  const insertSite = db.prepare(
    'INSERT INTO request_site (request_id, node_id, state, collections, updated_at, reminded_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertTransition = db.prepare(
    `INSERT INTO request_transition (request_id, node_id, from_state, to_state, action, actor_person, actor_name, actor_role, at, reason)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );

  const assemble = (row: RequestRow): AccessRequest => toRequest(row, siteRows.all(row.id));
  const mustGet = (id: string): AccessRequest => {
    const row = requestRow.get(id);
    if (row === undefined) throw new BiospecError('NOT_FOUND', `no access request ${id}`);
    return assemble(row);
  };
  const appendTransition = (t: NewTransition) => insertTransition.run(...transitionColumns(t));

  return {
    async create(request, first) {
      db.transaction(() => {
        if (requestRow.get(request.id) !== undefined) throw new BiospecError('ALREADY_EXISTS', `access request ${request.id} already exists`);
        db.prepare(
          `INSERT INTO access_request (id, researcher_id, state, title, description, ethics_reference, purpose, origin, collections, attachments,
             encryption_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(request.id, request.researcherId, request.state, ...requestFieldColumns(request), request.createdAt, request.updatedAt);
        for (const site of request.sites) {
          insertSite.run(...siteColumns(request.id, site));
        }
        appendTransition(first);
      }).immediate();
      return mustGet(request.id);
    },
    async get(id) {
      const row = requestRow.get(id);
      return row && assemble(row);
    },
    async list(filter = {}) {
      const where: string[] = [];
      const params: string[] = [];
      if (filter.researcherId !== undefined) {
        where.push('r.researcher_id = ?');
        params.push(filter.researcherId);
      }
      if (filter.states !== undefined) {
        where.push(`r.state IN (${filter.states.map(() => '?').join(', ') || 'NULL'})`);
        params.push(...filter.states);
      }
      if (filter.nodeIds !== undefined) {
        where.push(
          `EXISTS (SELECT 1 FROM request_site s WHERE s.request_id = r.id AND s.node_id IN (${filter.nodeIds.map(() => '?').join(', ') || 'NULL'}))`,
        );
        params.push(...filter.nodeIds);
      }
      const sql = `SELECT r.* FROM access_request r ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.created_at DESC, r.id DESC`;
      return db.prepare<string[], RequestRow>(sql).all(...params).map(assemble);
    },
    async updateFields(id, fields, sites, expected, at) {
      db.transaction(() => {
        const current = mustGet(id);
        if (current.state !== expected) {
          throw new BiospecError('FAILED_PRECONDITION', `request ${id} is now ${current.state.replace(/_/g, ' ')}, not ${expected.replace(/_/g, ' ')}`);
        }
        db.prepare(
          `UPDATE access_request SET title = ?, description = ?, ethics_reference = ?, purpose = ?, origin = ?, collections = ?, attachments = ?,
             encryption_key = ?, updated_at = ? WHERE id = ?`,
        ).run(...requestFieldColumns(fields), at, id);
        db.prepare('DELETE FROM request_site WHERE request_id = ?').run(id);
        for (const site of sites) insertSite.run(...siteColumns(id, site));
      }).immediate();
      return mustGet(id);
    },
    async transition(t) {
      db.transaction(() => {
        const current = mustGet(t.requestId);
        if (t.nodeId === null) {
          if (current.state !== t.from) {
            throw new BiospecError('FAILED_PRECONDITION', `request ${t.requestId} is now ${current.state.replace(/_/g, ' ')}, not ${String(t.from).replace(/_/g, ' ')}`);
          }
          db.prepare('UPDATE access_request SET state = ?, updated_at = ? WHERE id = ?').run(t.to, t.at, t.requestId);
        } else {
          const site = current.sites.find((s) => s.nodeId === t.nodeId);
          if (site === undefined) throw new BiospecError('NOT_FOUND', `request ${t.requestId} does not ask node ${t.nodeId}`);
          if (site.state !== t.from) {
            throw new BiospecError(
              'FAILED_PRECONDITION',
              `site ${t.nodeId} of request ${t.requestId} is now ${site.state.replace(/_/g, ' ')}, not ${String(t.from).replace(/_/g, ' ')}`,
            );
          }
          db.prepare('UPDATE request_site SET state = ?, updated_at = ? WHERE request_id = ? AND node_id = ?').run(t.to, t.at, t.requestId, t.nodeId);
          db.prepare('UPDATE access_request SET updated_at = ? WHERE id = ?').run(t.at, t.requestId);
        }
        appendTransition(t);
      }).immediate();
      return mustGet(t.requestId);
    },
    timeline: async (requestId) =>
      db
        .prepare<[string], TransitionRow>('SELECT * FROM request_transition WHERE request_id = ? ORDER BY seq')
        .all(requestId)
        .map(toTransition),
    async addComment(comment) {
      db.transaction(() => {
        mustGet(comment.requestId);
        const seq = db.prepare('SELECT coalesce(max(seq), 0) + 1 FROM request_comment').pluck().get() as number;
        db.prepare(
          `INSERT INTO request_comment (seq, id, request_id, node_id, author_person, author_name, author_role, body, at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(seq, ...commentColumns(comment));
      }).immediate();
      return comment;
    },
    comments: async (requestId) =>
      db
        .prepare<[string], CommentRow>('SELECT * FROM request_comment WHERE request_id = ? ORDER BY seq')
        .all(requestId)
        .map(toComment),
    awaitingSites: async () =>
      db
        .prepare<[], AwaitingSiteRow>(
          `SELECT s.request_id, s.node_id, s.reminded_at,
                  (SELECT max(t.at) FROM request_transition t WHERE t.request_id = s.request_id AND t.node_id IS NULL AND t.to_state = 'approved') AS asked_at
           FROM request_site s JOIN access_request r ON r.id = s.request_id
           WHERE r.state = 'approved' AND s.state = 'pending'
           ORDER BY s.request_id, s.node_id`,
        )
        .all()
        .map(toAwaitingSite),
    async markReminded(requestId, nodeId, at) {
      db.prepare('UPDATE request_site SET reminded_at = ? WHERE request_id = ? AND node_id = ?').run(at, requestId, nodeId);
    },
  };
}

function sqliteGrants(db: Db): GrantRepository {
  const grantRow = db.prepare<[string], GrantRow>('SELECT * FROM access_grant WHERE id = ?');
  const newestList = db.prepare<[], RevocationListRow>('SELECT * FROM revocation_list ORDER BY version DESC LIMIT 1');
  return {
    async add(grant) {
      db.transaction(() => {
        if (grantRow.get(grant.id) !== undefined) throw new BiospecError('ALREADY_EXISTS', `grant ${grant.id} already exists`);
        db.prepare(
          `INSERT INTO access_grant (id, request_id, node_id, subject, issued_at, expires_at, token, revoked_at, revoked_by, revoke_reason)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(...grantColumns(grant));
      }).immediate();
      return grant;
    },
    async get(id) {
      const row = grantRow.get(id);
      return row && toGrant(row);
    },
    async list(filter = {}) {
      const where: string[] = [];
      const params: string[] = [];
      if (filter.requestId !== undefined) {
        where.push('request_id = ?');
        params.push(filter.requestId);
      }
      if (filter.nodeId !== undefined) {
        where.push('node_id = ?');
        params.push(filter.nodeId);
      }
      const sql = `SELECT * FROM access_grant ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY issued_at, id`;
      return db.prepare<string[], GrantRow>(sql).all(...params).map(toGrant);
    },
    async revocationList() {
      const row = newestList.get();
      return row && toRevocationList(row);
    },
    revokedUnexpired: async (at) =>
      db
        .prepare<[string], GrantRow>('SELECT * FROM access_grant WHERE revoked_at IS NOT NULL AND expires_at > ? ORDER BY revoked_at, id')
        .all(at)
        .map(toGrant),
    async revoke(ids, revokedBy, reason, at, list: RevocationList) {
      db.transaction(() => {
        const current = newestList.get()?.version ?? 0;
        if (list.version !== current + 1) {
          throw new BiospecError('FAILED_PRECONDITION', `revocation list version ${list.version} does not follow the stored version ${current}`);
        }
        for (const id of ids) {
          const row = grantRow.get(id);
          if (row === undefined) throw new BiospecError('NOT_FOUND', `no grant ${id}`);
          if (row.revoked_at !== null) continue;
          db.prepare('UPDATE access_grant SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE id = ?').run(at, revokedBy, reason, id);
        }
        db.prepare('INSERT INTO revocation_list (version, issued_at, token) VALUES (?, ?, ?)').run(list.version, list.issuedAt, list.token);
      }).immediate();
    },
    async addDelivery(delivery) {
      db.transaction(() => {
        const seq = db.prepare('SELECT coalesce(max(seq), 0) + 1 FROM delivery').pluck().get() as number;
        db.prepare('INSERT INTO delivery (seq, id, request_id, node_id, grant_id, sha256, bytes, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(seq, ...deliveryColumns(delivery));
      }).immediate();
      return delivery;
    },
    deliveries: async (requestId) =>
      db
        .prepare<[string], DeliveryRow>('SELECT * FROM delivery WHERE request_id = ? ORDER BY seq')
        .all(requestId)
        .map(toDelivery),
  };
}

function sqliteMemberships(db: Db): MembershipRepository {
  const row = db.prepare<[string], MembershipRow>('SELECT * FROM membership WHERE node_id = ?');
  const insertTransition = db.prepare(
    `INSERT INTO membership_transition (node_id, from_state, to_state, actor_person, actor_name, actor_role, at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const mustGet = (nodeId: string): Membership => {
    const found = row.get(nodeId);
    if (found === undefined) throw new BiospecError('NOT_FOUND', `no membership of node ${nodeId}`);
    return toMembership(found);
  };
  return {
    async get(nodeId) {
      const found = row.get(nodeId);
      return found && toMembership(found);
    },
    list: async () => db.prepare<[], MembershipRow>('SELECT * FROM membership ORDER BY node_id').all().map(toMembership),
    async put(membership, transition, replacing) {
      db.transaction(() => {
        const existing = row.get(membership.nodeId);
        if (existing !== undefined && existing.state !== replacing) {
          throw new BiospecError('FAILED_PRECONDITION', `node ${membership.nodeId} is already ${existing.state}`);
        }
        db.prepare(
          `INSERT INTO membership (node_id, name, endpoint, jwks, contact, state, application, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (node_id) DO UPDATE SET name = excluded.name, endpoint = excluded.endpoint, jwks = excluded.jwks, contact = excluded.contact,
             state = excluded.state, application = excluded.application, updated_at = excluded.updated_at`,
        ).run(...membershipColumns(membership));
        insertTransition.run(...membershipTransitionColumns(membership.nodeId, transition));
      }).immediate();
      return mustGet(membership.nodeId);
    },
    async transition(nodeId, from, to, actor, at, reason) {
      db.transaction(() => {
        const current = mustGet(nodeId);
        if (current.state !== from) throw new BiospecError('FAILED_PRECONDITION', `node ${nodeId} is now ${current.state}, not ${from}`);
        db.prepare('UPDATE membership SET state = ?, updated_at = ? WHERE node_id = ?').run(to, at, nodeId);
        insertTransition.run(...membershipTransitionColumns(nodeId, { from, to, actor, at, reason }));
      }).immediate();
      return mustGet(nodeId);
    },
    history: async (nodeId) =>
      db
        .prepare<[string], MembershipTransitionRow>('SELECT * FROM membership_transition WHERE node_id = ? ORDER BY seq')
        .all(nodeId)
        .map(toMembershipTransition),
  };
}
