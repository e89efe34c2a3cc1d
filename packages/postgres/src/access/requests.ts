/**
 * Access requests, their sites, timeline and comments in PostgreSQL. Every write that moves a
 * state runs in one transaction that first locks the request's row (`FOR UPDATE`): a second
 * coordinator moving the same request waits, then reads the state the first one left and
 * fails the compare-and-set, so two replicas never both apply a transition from one state,
 * and a transition is never stored without its timeline entry.
 */
import type pg from 'pg';
import { BiospecError } from '@biospec/protocol';
import {
  commentColumns,
  requestFieldColumns,
  siteColumns,
  toAwaitingSite,
  toComment,
  toRequest,
  transitionColumns,
  type AccessRequest,
  type AwaitingSiteRow,
  type CommentRow,
  type NewTransition,
  type RequestRepository,
  type RequestRow,
  type SiteAnswer,
  type SiteRow,
} from '@biospec/access';
import { guarded, inTransaction } from '../pool.js';
import { pgTransition, type PgTransitionRow } from './rows.js';

type Client = pg.Pool | pg.PoolClient;

/** A request with its sites, read in one statement (one snapshot: never a request beside another moment's sites). */
const SELECT_REQUEST = `SELECT r.*, coalesce((SELECT json_agg(s ORDER BY s.node_id) FROM request_site s WHERE s.request_id = r.id), '[]'::json) AS sites
                        FROM access_request r`;

type RequestWithSites = RequestRow & { sites: SiteRow[] };

const label = (state: string) => state.replace(/_/g, ' ');

async function find(client: Client, id: string): Promise<AccessRequest | undefined> {
  const { rows } = await client.query<RequestWithSites>(`${SELECT_REQUEST} WHERE r.id = $1`, [id]);
  return rows[0] && toRequest(rows[0], rows[0].sites);
}

async function mustGet(client: Client, id: string): Promise<AccessRequest> {
  const request = await find(client, id);
  if (request === undefined) throw new BiospecError('NOT_FOUND', `no access request ${id}`);
  return request;
}

/** Locks the request's row for the transaction and returns its state. */
async function lockState(client: pg.PoolClient, id: string): Promise<AccessRequest['state']> {
  const { rows } = await client.query<{ state: AccessRequest['state'] }>('SELECT state FROM access_request WHERE id = $1 FOR UPDATE', [id]);
  if (rows[0] === undefined) throw new BiospecError('NOT_FOUND', `no access request ${id}`);
  return rows[0].state;
}

async function insertSites(client: pg.PoolClient, requestId: string, sites: readonly SiteAnswer[]): Promise<void> {
  for (const site of sites) {
    await client.query(
      'INSERT INTO request_site (request_id, node_id, state, collections, updated_at, reminded_at) VALUES ($1, $2, $3, $4, $5, $6)',
      siteColumns(requestId, site),
    );
  }
}

async function appendTransition(client: pg.PoolClient, t: NewTransition): Promise<void> {
  await client.query(
    `INSERT INTO request_transition (request_id, node_id, from_state, to_state, action, actor_person, actor_name, actor_role, at, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    transitionColumns(t),
  );
}

export function postgresRequests(pool: pg.Pool): RequestRepository {
  return {
    create: (request, first) =>
      guarded('cannot store an access request', () =>
        inTransaction(pool, async (client) => {
          // A used id inserts nothing, also when another coordinator's insert of it commits while this one waits.
          const inserted = await client.query(
            `INSERT INTO access_request (id, researcher_id, state, title, description, ethics_reference, purpose, origin, collections, attachments,
               encryption_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING`,
            [request.id, request.researcherId, request.state, ...requestFieldColumns(request), request.createdAt, request.updatedAt],
          );
          if (inserted.rowCount === 0) throw new BiospecError('ALREADY_EXISTS', `access request ${request.id} already exists`);
          await insertSites(client, request.id, request.sites);
          await appendTransition(client, first);
          return mustGet(client, request.id);
        }),
      ),
    get: (id) => guarded('cannot read an access request', () => find(pool, id)),
    list: (filter = {}) =>
      guarded('cannot list access requests', async () => {
        const where: string[] = [];
        const params: unknown[] = [];
        if (filter.researcherId !== undefined) {
          params.push(filter.researcherId);
          where.push(`r.researcher_id = $${params.length}`);
        }
        if (filter.states !== undefined) {
          params.push(filter.states);
          where.push(`r.state = ANY($${params.length}::text[])`);
        }
        if (filter.nodeIds !== undefined) {
          params.push(filter.nodeIds);
          where.push(`EXISTS (SELECT 1 FROM request_site s WHERE s.request_id = r.id AND s.node_id = ANY($${params.length}::text[]))`);
        }
        const { rows } = await pool.query<RequestWithSites>(
          `${SELECT_REQUEST} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.created_at DESC, r.id DESC`,
          params,
        );
        return rows.map((row) => toRequest(row, row.sites));
      }),
    updateFields: (id, fields, sites, expected, at) =>
      guarded('cannot change an access request', () =>
        inTransaction(pool, async (client) => {
          const state = await lockState(client, id);
          if (state !== expected) throw new BiospecError('FAILED_PRECONDITION', `request ${id} is now ${label(state)}, not ${label(expected)}`);
          await client.query(
            `UPDATE access_request SET title = $1, description = $2, ethics_reference = $3, purpose = $4, origin = $5, collections = $6, attachments = $7,
               encryption_key = $8, updated_at = $9 WHERE id = $10`,
            [...requestFieldColumns(fields), at, id],
          );
          await client.query('DELETE FROM request_site WHERE request_id = $1', [id]);
          await insertSites(client, id, sites);
          return mustGet(client, id);
        }),
      ),
    transition: (t) =>
      guarded('cannot move an access request', () =>
        inTransaction(pool, async (client) => {
          const state = await lockState(client, t.requestId);
          if (t.nodeId === null) {
            if (state !== t.from) throw new BiospecError('FAILED_PRECONDITION', `request ${t.requestId} is now ${label(state)}, not ${label(String(t.from))}`);
            await client.query('UPDATE access_request SET state = $1, updated_at = $2 WHERE id = $3', [t.to, t.at, t.requestId]);
          } else {
            const { rows } = await client.query<{ state: string }>('SELECT state FROM request_site WHERE request_id = $1 AND node_id = $2', [t.requestId, t.nodeId]);
            const site = rows[0];
            if (site === undefined) throw new BiospecError('NOT_FOUND', `request ${t.requestId} does not ask node ${t.nodeId}`);
            if (site.state !== t.from) {
              throw new BiospecError('FAILED_PRECONDITION', `site ${t.nodeId} of request ${t.requestId} is now ${label(site.state)}, not ${label(String(t.from))}`);
            }
            await client.query('UPDATE request_site SET state = $1, updated_at = $2 WHERE request_id = $3 AND node_id = $4', [t.to, t.at, t.requestId, t.nodeId]);
            await client.query('UPDATE access_request SET updated_at = $1 WHERE id = $2', [t.at, t.requestId]);
          }
          await appendTransition(client, t);
          return mustGet(client, t.requestId);
        }),
      ),
    timeline: (requestId) =>
      guarded('cannot read a request timeline', async () => {
        const { rows } = await pool.query<PgTransitionRow>('SELECT * FROM request_transition WHERE request_id = $1 ORDER BY seq', [requestId]);
        return rows.map(pgTransition);
      }),
    addComment: (comment) =>
      guarded('cannot store a comment', async () => {
        const { rowCount } = await pool.query(
          `INSERT INTO request_comment (id, request_id, node_id, author_person, author_name, author_role, body, at)
           SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text WHERE EXISTS (SELECT 1 FROM access_request WHERE id = $2)`,
          commentColumns(comment),
        );
        if (rowCount === 0) throw new BiospecError('NOT_FOUND', `no access request ${comment.requestId}`);
        return comment;
      }),
    comments: (requestId) =>
      guarded('cannot read comments', async () => {
        const { rows } = await pool.query<CommentRow>('SELECT * FROM request_comment WHERE request_id = $1 ORDER BY seq', [requestId]);
        return rows.map(toComment);
      }),
    awaitingSites: () =>
      guarded('cannot list sites awaiting an answer', async () => {
        const { rows } = await pool.query<AwaitingSiteRow>(
          `SELECT s.request_id, s.node_id, s.reminded_at,
                  (SELECT max(t.at) FROM request_transition t WHERE t.request_id = s.request_id AND t.node_id IS NULL AND t.to_state = 'approved') AS asked_at
           FROM request_site s JOIN access_request r ON r.id = s.request_id
           WHERE r.state = 'approved' AND s.state = 'pending'
           ORDER BY s.request_id, s.node_id`,
        );
        return rows.map(toAwaitingSite);
      }),
    markReminded: (requestId, nodeId, at) =>
      guarded('cannot record a reminder', async () => {
        await pool.query('UPDATE request_site SET reminded_at = $1 WHERE request_id = $2 AND node_id = $3', [at, requestId, nodeId]);
      }),
  };
}
