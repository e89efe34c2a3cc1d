import type { PostgresMigration } from '../migrate.js';

/**
 * The access store's schema history in PostgreSQL: the tables of the SQLite store
 * (packages/access/src/sqlite-store.ts), column for column. Ids and ISO times are compared and
 * ordered byte-wise, as SQLite does, whatever collation the database was created with
 * (`COLLATE "C"`), so both stores list in one order and `expires_at > $1` means the same.
 * JSON is kept as text, as written: the stored query reads back exactly as it was hashed.
 */
export const ACCESS_MIGRATIONS_PG: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'requests, sites, transitions, comments, grants, revocation lists, deliveries, memberships',
    sql: `CREATE TABLE access_request (
            id               TEXT COLLATE "C" PRIMARY KEY,
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
            created_at       TEXT COLLATE "C" NOT NULL,
            updated_at       TEXT NOT NULL
          );
          CREATE INDEX access_request_researcher ON access_request (researcher_id);
          CREATE TABLE request_site (
            request_id  TEXT COLLATE "C" NOT NULL REFERENCES access_request (id),
            node_id     TEXT COLLATE "C" NOT NULL,
            state       TEXT NOT NULL,
            collections TEXT NOT NULL,
            updated_at  TEXT NOT NULL,
            reminded_at TEXT,
            PRIMARY KEY (request_id, node_id)
          );
          CREATE INDEX request_site_node ON request_site (node_id);
          CREATE TABLE request_transition (
            seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            request_id   TEXT COLLATE "C" NOT NULL REFERENCES access_request (id),
            node_id      TEXT,
            from_state   TEXT,
            to_state     TEXT NOT NULL,
            action       TEXT NOT NULL,
            actor_person TEXT NOT NULL,
            actor_name   TEXT,
            actor_role   TEXT NOT NULL,
            at           TEXT COLLATE "C" NOT NULL,
            reason       TEXT NOT NULL
          );
          CREATE INDEX request_transition_request ON request_transition (request_id, seq);
          CREATE TABLE request_comment (
            id            TEXT PRIMARY KEY,
            seq           BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
            request_id    TEXT COLLATE "C" NOT NULL REFERENCES access_request (id),
            node_id       TEXT,
            author_person TEXT NOT NULL,
            author_name   TEXT,
            author_role   TEXT NOT NULL,
            body          TEXT NOT NULL,
            at            TEXT NOT NULL
          );
          CREATE INDEX request_comment_request ON request_comment (request_id, seq);
          CREATE TABLE access_grant (
            id            TEXT COLLATE "C" PRIMARY KEY,
            request_id    TEXT COLLATE "C" NOT NULL REFERENCES access_request (id),
            node_id       TEXT COLLATE "C" NOT NULL,
            subject       TEXT NOT NULL,
            issued_at     TEXT COLLATE "C" NOT NULL,
            expires_at    TEXT COLLATE "C" NOT NULL,
            token         TEXT NOT NULL,
            revoked_at    TEXT COLLATE "C",
            revoked_by    TEXT,
            revoke_reason TEXT
          );
          CREATE INDEX access_grant_request ON access_grant (request_id);
          CREATE TABLE revocation_list (
            version   INTEGER PRIMARY KEY,
            issued_at TEXT NOT NULL,
            token     TEXT NOT NULL
          );
          CREATE TABLE delivery (
            id         TEXT PRIMARY KEY,
            seq        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
            request_id TEXT COLLATE "C" NOT NULL REFERENCES access_request (id),
            node_id    TEXT NOT NULL,
            grant_id   TEXT COLLATE "C" NOT NULL REFERENCES access_grant (id),
            sha256     TEXT NOT NULL,
            bytes      BIGINT NOT NULL,
            at         TEXT NOT NULL
          );
          CREATE INDEX delivery_request ON delivery (request_id, seq);
          CREATE TABLE membership (
            node_id     TEXT COLLATE "C" PRIMARY KEY,
            name        TEXT NOT NULL,
            endpoint    TEXT NOT NULL,
            jwks        TEXT NOT NULL,
            contact     TEXT,
            state       TEXT NOT NULL,
            application TEXT NOT NULL,
            updated_at  TEXT NOT NULL
          );
          CREATE TABLE membership_transition (
            seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            node_id      TEXT COLLATE "C" NOT NULL,
            from_state   TEXT,
            to_state     TEXT NOT NULL,
            actor_person TEXT NOT NULL,
            actor_name   TEXT,
            actor_role   TEXT NOT NULL,
            at           TEXT NOT NULL,
            reason       TEXT NOT NULL
          );
          CREATE INDEX membership_transition_node ON membership_transition (node_id, seq);`,
  },
];
