import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { BiospecError } from '@biospec/protocol';
import { checkRoles, type Identity, type LinkedIdentity, type NewPerson, type PeopleRepository, type Person } from './people.js';
import type { Role } from './roles.js';

/** Schema history (`PRAGMA user_version`); append, never edit a released step. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE person (
     id         TEXT PRIMARY KEY,
     name       TEXT,
     email      TEXT COLLATE NOCASE,
     roles      TEXT NOT NULL,
     status     TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
     created_at TEXT NOT NULL
   ) STRICT;
   CREATE INDEX person_email ON person (email);
   CREATE TABLE person_identity (
     issuer    TEXT NOT NULL,
     subject   TEXT NOT NULL,
     person_id TEXT NOT NULL REFERENCES person (id),
     linked_at TEXT NOT NULL,
     linked_by TEXT NOT NULL,
     PRIMARY KEY (issuer, subject)
   ) STRICT;
   CREATE INDEX person_identity_person ON person_identity (person_id);`,
];

interface PersonRow {
  id: string;
  name: string | null;
  email: string | null;
  roles: string;
  status: Person['status'];
  created_at: string;
}

interface IdentityRow {
  issuer: string;
  subject: string;
  person_id: string;
  linked_at: string;
  linked_by: string;
}

const toPerson = (row: PersonRow): Person => ({
  id: row.id,
  name: row.name,
  email: row.email,
  roles: JSON.parse(row.roles) as Role[],
  status: row.status,
  createdAt: row.created_at,
});

const toIdentity = (row: IdentityRow): LinkedIdentity => ({
  issuer: row.issuer,
  subject: row.subject,
  personId: row.person_id,
  linkedAt: row.linked_at,
  linkedBy: row.linked_by,
});

/** The people repository in a SQLite file (or `:memory:`), migrated on open. */
export function createSqlitePeople(path: string, options: { now?: () => Date } = {}): PeopleRepository {
  const now = options.now ?? (() => new Date());
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    db.close();
    throw new BiospecError('FAILED_PRECONDITION', `people store ${path} has schema version ${version}, newer than this software knows (${MIGRATIONS.length})`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }

  const byId = db.prepare<[string], PersonRow>('SELECT * FROM person WHERE id = ?');
  const byIdentity = db.prepare<[string, string], PersonRow>(
    'SELECT p.* FROM person p JOIN person_identity i ON i.person_id = p.id WHERE i.issuer = ? AND i.subject = ?',
  );
  const byEmail = db.prepare<[string], PersonRow>('SELECT * FROM person WHERE email = ? LIMIT 2');
  const identityRow = db.prepare<[string, string], IdentityRow>('SELECT * FROM person_identity WHERE issuer = ? AND subject = ?');

  const mustGet = (id: string): Person => {
    const row = byId.get(id);
    if (row === undefined) throw new BiospecError('NOT_FOUND', `no person with id ${id}`);
    return toPerson(row);
  };

  const repository = {
    create(person: NewPerson): Person {
      const id = randomUUID();
      const roles = checkRoles(person.roles ?? ['researcher']);
      db.prepare('INSERT INTO person (id, name, email, roles, status, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        id,
        person.name ?? null,
        person.email ?? null,
        JSON.stringify(roles),
        'active',
        now().toISOString(),
      );
      return mustGet(id);
    },
    get: (id: string) => {
      const row = byId.get(id);
      return row && toPerson(row);
    },
    findByIdentity: ({ issuer, subject }: Identity) => {
      const row = byIdentity.get(issuer, subject);
      return row && toPerson(row);
    },
    findByEmail(email: string) {
      const rows = byEmail.all(email);
      return rows.length === 1 ? toPerson(rows[0] as PersonRow) : undefined;
    },
    link(personId: string, identity: Identity, linkedBy: string): LinkedIdentity {
      return db.transaction(() => {
        mustGet(personId);
        const existing = identityRow.get(identity.issuer, identity.subject);
        if (existing !== undefined) {
          if (existing.person_id === personId) return toIdentity(existing);
          throw new BiospecError('ALREADY_EXISTS', `identity ${identity.subject} of ${identity.issuer} is already linked to another person`);
        }
        db.prepare('INSERT INTO person_identity (issuer, subject, person_id, linked_at, linked_by) VALUES (?, ?, ?, ?, ?)').run(
          identity.issuer,
          identity.subject,
          personId,
          now().toISOString(),
          linkedBy,
        );
        return toIdentity(identityRow.get(identity.issuer, identity.subject) as IdentityRow);
      }).immediate();
    },
    identities: (personId: string) =>
      db.prepare<[string], IdentityRow>('SELECT * FROM person_identity WHERE person_id = ? ORDER BY linked_at').all(personId).map(toIdentity),
    list: () => db.prepare<[], PersonRow>('SELECT * FROM person ORDER BY created_at, id').all().map(toPerson),
    setStatus(personId: string, status: Person['status']) {
      mustGet(personId);
      db.prepare('UPDATE person SET status = ? WHERE id = ?').run(status, personId);
      return mustGet(personId);
    },
    setRoles(personId: string, roles: Role[]) {
      mustGet(personId);
      db.prepare('UPDATE person SET roles = ? WHERE id = ?').run(JSON.stringify(checkRoles(roles)), personId);
      return mustGet(personId);
    },
    withRole: (role: Role) =>
      db
        .prepare<[string], PersonRow>(
          "SELECT p.* FROM person p WHERE p.status = 'active' AND EXISTS (SELECT 1 FROM json_each(p.roles) r WHERE r.value = ?) ORDER BY p.created_at, p.id",
        )
        .all(role)
        .map(toPerson),
    close() {
      if (db.open) db.close();
    },
  };
  // The same calls, answered as promises: the interface a database server needs too.
  return {
    create: async (person) => repository.create(person),
    get: async (id) => repository.get(id),
    findByIdentity: async (identity) => repository.findByIdentity(identity),
    findByEmail: async (email) => repository.findByEmail(email),
    link: async (personId, identity, linkedBy) => repository.link(personId, identity, linkedBy),
    identities: async (personId) => repository.identities(personId),
    list: async () => repository.list(),
    setStatus: async (personId, status) => repository.setStatus(personId, status),
    setRoles: async (personId, roles) => repository.setRoles(personId, roles),
    withRole: async (role) => repository.withRole(role),
    close: async () => repository.close(),
  };
}
