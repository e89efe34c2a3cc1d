/**
 * Node memberships and their history in PostgreSQL. A decision locks the membership's row
 * (`FOR UPDATE`) and checks the state it expects, so two coordinators never both decide one
 * application; two applications of a new node at once insert one row, and the other is told
 * the node already applied.
 */
import type pg from 'pg';
import { BiospecError } from '@biospec/protocol';
import {
  membershipColumns,
  membershipTransitionColumns,
  toMembership,
  type Actor,
  type Membership,
  type MembershipRepository,
  type MembershipRow,
  type MembershipState,
} from '@biospec/access';
import { guarded, inTransaction } from '../pool.js';
import { pgMembershipTransition, type PgMembershipTransitionRow } from './rows.js';

type Client = pg.Pool | pg.PoolClient;

async function find(client: Client, nodeId: string, lock = ''): Promise<Membership | undefined> {
  const { rows } = await client.query<MembershipRow>(`SELECT * FROM membership WHERE node_id = $1 ${lock}`, [nodeId]);
  return rows[0] && toMembership(rows[0]);
}

async function mustGet(client: Client, nodeId: string, lock = ''): Promise<Membership> {
  const found = await find(client, nodeId, lock);
  if (found === undefined) throw new BiospecError('NOT_FOUND', `no membership of node ${nodeId}`);
  return found;
}

async function appendTransition(client: pg.PoolClient, nodeId: string, from: MembershipState | null, to: MembershipState, actor: Actor, at: string, reason: string): Promise<void> {
  await client.query(
    'INSERT INTO membership_transition (node_id, from_state, to_state, actor_person, actor_name, actor_role, at, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    membershipTransitionColumns(nodeId, { from, to, actor, at, reason }),
  );
}

export function postgresMemberships(pool: pg.Pool): MembershipRepository {
  return {
    get: (nodeId) => guarded('cannot read a membership', () => find(pool, nodeId)),
    list: () =>
      guarded('cannot list memberships', async () => {
        const { rows } = await pool.query<MembershipRow>('SELECT * FROM membership ORDER BY node_id');
        return rows.map(toMembership);
      }),
    put: (membership, transition, replacing) =>
      guarded('cannot store a membership', () =>
        inTransaction(pool, async (client) => {
          const columns = membershipColumns(membership);
          const existing = await find(client, membership.nodeId, 'FOR UPDATE');
          if (existing === undefined) {
            const inserted = await client.query(
              `INSERT INTO membership (node_id, name, endpoint, jwks, contact, state, application, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (node_id) DO NOTHING`,
              columns,
            );
            // Another coordinator stored this node's membership while this one waited.
            if (inserted.rowCount === 0) throw new BiospecError('FAILED_PRECONDITION', `node ${membership.nodeId} is already ${(await mustGet(client, membership.nodeId)).state}`);
          } else if (existing.state !== replacing) {
            throw new BiospecError('FAILED_PRECONDITION', `node ${membership.nodeId} is already ${existing.state}`);
          } else {
            await client.query(
              'UPDATE membership SET name = $2, endpoint = $3, jwks = $4, contact = $5, state = $6, application = $7, updated_at = $8 WHERE node_id = $1',
              columns,
            );
          }
          await appendTransition(client, membership.nodeId, transition.from, transition.to, transition.actor, transition.at, transition.reason);
          return mustGet(client, membership.nodeId);
        }),
      ),
    transition: (nodeId, from, to, actor, at, reason) =>
      guarded('cannot move a membership', () =>
        inTransaction(pool, async (client) => {
          const current = await mustGet(client, nodeId, 'FOR UPDATE');
          if (current.state !== from) throw new BiospecError('FAILED_PRECONDITION', `node ${nodeId} is now ${current.state}, not ${from}`);
          await client.query('UPDATE membership SET state = $1, updated_at = $2 WHERE node_id = $3', [to, at, nodeId]);
          await appendTransition(client, nodeId, from, to, actor, at, reason);
          return mustGet(client, nodeId);
        }),
      ),
    history: (nodeId) =>
      guarded('cannot read a membership history', async () => {
        const { rows } = await pool.query<PgMembershipTransitionRow>('SELECT * FROM membership_transition WHERE node_id = $1 ORDER BY seq', [nodeId]);
        return rows.map(pgMembershipTransition);
      }),
  };
}
