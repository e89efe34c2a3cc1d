/**
 * The access rows whose BIGINT columns pg returns as strings (it does not narrow them to numbers
 * on its own), turned into the shared rows of `@biospec/access` before mapping. Sequence numbers
 * and sizes stay far below 2^53, so `Number` is exact.
 */
import {
  toDelivery,
  toMembershipTransition,
  toTransition,
  type DeliveryRow,
  type MembershipTransitionRow,
  type TransitionRow,
} from '@biospec/access';

/** Row `R` with its BIGINT columns `K` as pg returns them. */
type Pg<R, K extends keyof R> = Omit<R, K> & Record<K, string>;

export type PgTransitionRow = Pg<TransitionRow, 'seq'>;
export type PgDeliveryRow = Pg<DeliveryRow, 'bytes'>;
export type PgMembershipTransitionRow = Pg<MembershipTransitionRow, 'seq'>;

export const pgTransition = (row: PgTransitionRow) => toTransition({ ...row, seq: Number(row.seq) });
export const pgDelivery = (row: PgDeliveryRow) => toDelivery({ ...row, bytes: Number(row.bytes) });
export const pgMembershipTransition = (row: PgMembershipTransitionRow) => toMembershipTransition({ ...row, seq: Number(row.seq) });
