/**
 * Grants, revocation lists and deliveries in PostgreSQL. A revocation takes a transaction-scoped
 * advisory lock before it reads the newest list's version, so of two coordinators revoking at
 * once one stores version n + 1 and the other fails its compare-and-set (and the workflow
 * builds its list again on top); the marks on the grants commit with their list or not at all.
 */
import type pg from 'pg';
import { BiospecError } from '@biospec/protocol';
import { deliveryColumns, grantColumns, toGrant, toRevocationList, type GrantRepository, type GrantRow, type RevocationListRow } from '@biospec/access';
import { guarded, inTransaction } from '../pool.js';
import { pgDelivery, type PgDeliveryRow } from './rows.js';

/** Held by every revocation until it commits: the revocation list has one newest version. */
const REVOCATION_LOCK = 0x7265766f; // 'revo'

export function postgresGrants(pool: pg.Pool): GrantRepository {
  return {
    add: (grant) =>
      guarded('cannot store a grant', async () => {
        const { rowCount } = await pool.query(
          `INSERT INTO access_grant (id, request_id, node_id, subject, issued_at, expires_at, token, revoked_at, revoked_by, revoke_reason)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
          grantColumns(grant),
        );
        if (rowCount === 0) throw new BiospecError('ALREADY_EXISTS', `grant ${grant.id} already exists`);
        return grant;
      }),
    get: (id) =>
      guarded('cannot read a grant', async () => {
        const { rows } = await pool.query<GrantRow>('SELECT * FROM access_grant WHERE id = $1', [id]);
        return rows[0] && toGrant(rows[0]);
      }),
    list: (filter = {}) =>
      guarded('cannot list grants', async () => {
        const where: string[] = [];
        const params: string[] = [];
        if (filter.requestId !== undefined) {
          params.push(filter.requestId);
          where.push(`request_id = $${params.length}`);
        }
        if (filter.nodeId !== undefined) {
          params.push(filter.nodeId);
          where.push(`node_id = $${params.length}`);
        }
        const { rows } = await pool.query<GrantRow>(`SELECT * FROM access_grant ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY issued_at, id`, params);
        return rows.map(toGrant);
      }),
    revocationList: () =>
      guarded('cannot read the revocation list', async () => {
        const { rows } = await pool.query<RevocationListRow>('SELECT * FROM revocation_list ORDER BY version DESC LIMIT 1');
        return rows[0] && toRevocationList(rows[0]);
      }),
    revokedUnexpired: (at) =>
      guarded('cannot list revoked grants', async () => {
        const { rows } = await pool.query<GrantRow>('SELECT * FROM access_grant WHERE revoked_at IS NOT NULL AND expires_at > $1 ORDER BY revoked_at, id', [at]);
        return rows.map(toGrant);
      }),
    revoke: (ids, revokedBy, reason, at, list) =>
      guarded('cannot revoke grants', () =>
        inTransaction(pool, async (client) => {
          await client.query('SELECT pg_advisory_xact_lock($1)', [REVOCATION_LOCK]);
          const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM revocation_list');
          const current = rows[0]?.version ?? 0;
          if (list.version !== current + 1) {
            throw new BiospecError('FAILED_PRECONDITION', `revocation list version ${list.version} does not follow the stored version ${current}`);
          }
          for (const id of ids) {
            // A grant revoked before keeps its first revocation's record.
            const marked = await client.query('UPDATE access_grant SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 WHERE id = $4 AND revoked_at IS NULL', [
              at,
              revokedBy,
              reason,
              id,
            ]);
            if (marked.rowCount === 0 && (await client.query('SELECT 1 FROM access_grant WHERE id = $1', [id])).rowCount === 0) {
              throw new BiospecError('NOT_FOUND', `no grant ${id}`);
            }
          }
          await client.query('INSERT INTO revocation_list (version, issued_at, token) VALUES ($1, $2, $3)', [list.version, list.issuedAt, list.token]);
        }),
      ),
    addDelivery: (delivery) =>
      guarded('cannot record a delivery', async () => {
        await pool.query('INSERT INTO delivery (id, request_id, node_id, grant_id, sha256, bytes, at) VALUES ($1, $2, $3, $4, $5, $6, $7)', deliveryColumns(delivery));
        return delivery;
      }),
    deliveries: (requestId) =>
      guarded('cannot read deliveries', async () => {
        const { rows } = await pool.query<PgDeliveryRow>('SELECT * FROM delivery WHERE request_id = $1 ORDER BY seq', [requestId]);
        return rows.map(pgDelivery);
      }),
  };
}
