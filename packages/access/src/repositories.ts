/**
 * Where the access workflow keeps its records. Small, storage-neutral, asynchronous interfaces
 * (a store on a database server answers over the network): SQLite implements them
 * (`createSqliteAccessStore`), PostgreSQL for several coordinators on one database
 * (`@biospec/postgres`), and both pass the same compliance suites (`@biospec/access/testing`).
 *
 * Every write that moves a state is a compare-and-set: it names the state it expects and
 * fails with FAILED_PRECONDITION when another writer moved it first, so two staff members
 * (or two coordinator replicas) can never both apply a transition from the same state.
 */
import type {
  AccessRequest,
  Actor,
  Comment,
  Delivery,
  Grant,
  Membership,
  MembershipState,
  MembershipTransition,
  RequestFields,
  RevocationList,
  SiteAnswer,
  Transition,
} from './model.js';
import type { RequestState, SiteState } from './states.js';

/** A transition to apply: the request's own state when `nodeId` is null, else that site's. */
export interface NewTransition {
  requestId: string;
  nodeId: string | null;
  /** The state the writer saw; the move fails if the stored state differs. Null only for a request's creation. */
  from: RequestState | SiteState | null;
  to: RequestState | SiteState;
  action: string;
  actor: Actor;
  at: string;
  reason: string;
}

export interface RequestFilter {
  researcherId?: string;
  /** Requests that ask at least one of these nodes. */
  nodeIds?: readonly string[];
  states?: readonly RequestState[];
}

/** A site that has not answered: for reminders. */
export interface AwaitingSite {
  requestId: string;
  nodeId: string;
  /** When the request was approved (since when the site has been asked). */
  askedAt: string;
  remindedAt: string | null;
}

export interface RequestRepository {
  /** Stores a new request with its sites and its first transition (from null to its state). ALREADY_EXISTS for a used id. */
  create(request: AccessRequest, first: NewTransition): Promise<AccessRequest>;
  get(id: string): Promise<AccessRequest | undefined>;
  /** Requests matching every condition given, newest first. */
  list(filter?: RequestFilter): Promise<AccessRequest[]>;
  /**
   * Replaces the researcher's fields and the sites they ask while the request is in state
   * `expected` (sites keep their answers where the node stays asked).
   */
  updateFields(id: string, fields: RequestFields, sites: readonly SiteAnswer[], expected: RequestState, at: string): Promise<AccessRequest>;
  /** Applies one transition and appends it to the timeline, atomically. NOT_FOUND, or FAILED_PRECONDITION when the state is not `from`. */
  transition(transition: NewTransition): Promise<AccessRequest>;
  /** Every transition of the request and its sites, oldest first. */
  timeline(requestId: string): Promise<Transition[]>;
  addComment(comment: Comment): Promise<Comment>;
  /** Oldest first. */
  comments(requestId: string): Promise<Comment[]>;
  /** Pending sites of approved requests, for reminders. */
  awaitingSites(): Promise<AwaitingSite[]>;
  markReminded(requestId: string, nodeId: string, at: string): Promise<void>;
}

export interface GrantFilter {
  requestId?: string;
  nodeId?: string;
}

export interface GrantRepository {
  /** ALREADY_EXISTS for a used id. */
  add(grant: Grant): Promise<Grant>;
  get(id: string): Promise<Grant | undefined>;
  /** Oldest first. */
  list(filter?: GrantFilter): Promise<Grant[]>;
  /** The newest signed revocation list, if any grant was ever revoked. */
  revocationList(): Promise<RevocationList | undefined>;
  /** Revoked grants that have not expired at `at`: the entries a revocation list must carry. */
  revokedUnexpired(at: string): Promise<Grant[]>;
  /**
   * Marks `ids` revoked and stores `list`, atomically. `list.version` must be one more than
   * the stored list's (FAILED_PRECONDITION otherwise: another revocation came first).
   */
  revoke(ids: readonly string[], revokedBy: string, reason: string, at: string, list: RevocationList): Promise<void>;
  addDelivery(delivery: Delivery): Promise<Delivery>;
  /** Oldest first. */
  deliveries(requestId: string): Promise<Delivery[]>;
}

export interface MembershipRepository {
  get(nodeId: string): Promise<Membership | undefined>;
  list(): Promise<Membership[]>;
  /**
   * Stores a membership with its first transition (null → its state), or, for a node
   * whose membership is in state `replacing`, replaces it: a declined node may apply
   * again. FAILED_PRECONDITION when the node's membership is in another state.
   */
  put(membership: Membership, transition: Omit<MembershipTransition, 'seq'>, replacing?: MembershipState): Promise<Membership>;
  /** Moves a membership from `from` to `to`, atomically with its transition. */
  transition(nodeId: string, from: MembershipState, to: MembershipState, actor: Actor, at: string, reason: string): Promise<Membership>;
  /** Oldest first. */
  history(nodeId: string): Promise<MembershipTransition[]>;
}

/** Every repository of the access workflow, opened together. */
export interface AccessStore {
  requests: RequestRepository;
  grants: GrantRepository;
  memberships: MembershipRepository;
  close(): Promise<void>;
}
