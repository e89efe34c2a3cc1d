import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { BiospecError } from '@biospec/protocol';
import { checkRoles, type LinkedIdentity, type PeopleRepository, type Person, type Role } from '@biospec/registry';
import { guarded, inTransaction, UNIQUE_VIOLATION } from './pool.js';
import { migratePostgres, type PostgresMigration } from './migrate.js';

/** The people store's schema history in PostgreSQL (the SQLite one is in packages/registry). */
export const PEOPLE_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'people and their linked identities',
    sql: `CREATE TABLE person (
            id         TEXT PRIMARY KEY,
            name       TEXT,
            email      TEXT,
            roles      TEXT NOT NULL,
            status     TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
            created_at TEXT NOT NULL
          );
          CREATE INDEX person_email ON person (lower(email));
          CREATE TABLE person_identity (
            issuer    TEXT NOT NULL,
            subject   TEXT NOT NULL,
            person_id TEXT NOT NULL REFERENCES person (id),
            linked_at TEXT NOT NULL,
            linked_by TEXT NOT NULL,
            PRIMARY KEY (issuer, subject)
          );
          CREATE INDEX person_identity_person ON person_identity (person_id);`,
  },
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

/** Researcher records in PostgreSQL, shared by every coordinator of the network; migrated on open. */
export async function createPostgresPeople(pool: pg.Pool, options: { now?: () => Date; ownsPool?: boolean } = {}): Promise<PeopleRepository> {
  const now = options.now ?? (() => new Date());
  await migratePostgres(pool, 'people', PEOPLE_MIGRATIONS);
  const one = async (sql: string, params: unknown[]): Promise<Person | undefined> => {
    const { rows } = await pool.query<PersonRow>(sql, params);
    return rows[0] && toPerson(rows[0]);
  };
  const mustGet = async (id: string, client: pg.Pool | pg.PoolClient = pool): Promise<Person> => {
    const { rows } = await client.query<PersonRow>('SELECT * FROM person WHERE id = $1', [id]);
    if (rows[0] === undefined) throw new BiospecError('NOT_FOUND', `no person with id ${id}`);
    return toPerson(rows[0]);
  };

  return {
    create: (person) =>
      guarded('cannot create a researcher record', async () => {
        const id = randomUUID();
        const roles = checkRoles(person.roles ?? ['researcher']);
        await pool.query('INSERT INTO person (id, name, email, roles, status, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
          id,
          person.name ?? null,
          person.email ?? null,
          JSON.stringify(roles),
          'active',
          now().toISOString(),
        ]);
        return mustGet(id);
      }),
    get: (id) => guarded('cannot read a researcher record', () => one('SELECT * FROM person WHERE id = $1', [id])),
    findByIdentity: ({ issuer, subject }) =>
      guarded('cannot read a researcher record', () =>
        one('SELECT p.* FROM person p JOIN person_identity i ON i.person_id = p.id WHERE i.issuer = $1 AND i.subject = $2', [issuer, subject]),
      ),
    findByEmail: (email) =>
      guarded('cannot read a researcher record', async () => {
        const { rows } = await pool.query<PersonRow>('SELECT * FROM person WHERE lower(email) = lower($1) LIMIT 2', [email]);
        return rows.length === 1 ? toPerson(rows[0]!) : undefined;
      }),
    link: (personId, identity, linkedBy) =>
      guarded('cannot link an identity', async () => {
        try {
          return await inTransaction(pool, async (client) => {
            await mustGet(personId, client);
            const existing = await client.query<IdentityRow>('SELECT * FROM person_identity WHERE issuer = $1 AND subject = $2', [identity.issuer, identity.subject]);
            const found = existing.rows[0];
            if (found !== undefined) {
              if (found.person_id === personId) return toIdentity(found);
              throw new BiospecError('ALREADY_EXISTS', `identity ${identity.subject} of ${identity.issuer} is already linked to another person`);
            }
            const inserted = await client.query<IdentityRow>(
              'INSERT INTO person_identity (issuer, subject, person_id, linked_at, linked_by) VALUES ($1, $2, $3, $4, $5) RETURNING *',
              [identity.issuer, identity.subject, personId, now().toISOString(), linkedBy],
            );
            return toIdentity(inserted.rows[0]!);
          });
        } catch (error) {
          // Another coordinator linked it in the meantime: the primary key decided.
          if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
          const { rows } = await pool.query<IdentityRow>('SELECT * FROM person_identity WHERE issuer = $1 AND subject = $2', [identity.issuer, identity.subject]);
          if (rows[0]?.person_id === personId) return toIdentity(rows[0]);
          throw new BiospecError('ALREADY_EXISTS', `identity ${identity.subject} of ${identity.issuer} is already linked to another person`);
        }
      }),
    identities: (personId) =>
      guarded('cannot read linked identities', async () => {
        const { rows } = await pool.query<IdentityRow>('SELECT * FROM person_identity WHERE person_id = $1 ORDER BY linked_at, issuer, subject', [personId]);
        return rows.map(toIdentity);
      }),
    list: () =>
      guarded('cannot list researcher records', async () => {
        const { rows } = await pool.query<PersonRow>('SELECT * FROM person ORDER BY created_at, id');
        return rows.map(toPerson);
      }),
    setStatus: (personId, status) =>
      guarded('cannot change a researcher record', async () => {
        const { rowCount } = await pool.query('UPDATE person SET status = $1 WHERE id = $2', [status, personId]);
        if (rowCount === 0) throw new BiospecError('NOT_FOUND', `no person with id ${personId}`);
        return mustGet(personId);
      }),
    setRoles: (personId, roles) =>
      guarded('cannot change a researcher record', async () => {
        const checked = checkRoles(roles);
        const { rowCount } = await pool.query('UPDATE person SET roles = $1 WHERE id = $2', [JSON.stringify(checked), personId]);
        if (rowCount === 0) throw new BiospecError('NOT_FOUND', `no person with id ${personId}`);
        return mustGet(personId);
      }),
    withRole: (role) =>
      guarded('cannot list researcher records', async () => {
        // Roles are kept as a JSON array of strings, as in SQLite.
        const { rows } = await pool.query<PersonRow>(
          "SELECT * FROM person WHERE status = 'active' AND roles::jsonb @> jsonb_build_array($1::text) ORDER BY created_at, id",
          [role],
        );
        return rows.map(toPerson);
      }),
    async close() {
      if (options.ownsPool) await pool.end();
    },
  };
}
