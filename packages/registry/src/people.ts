/**
 * One record per person, whatever accounts they sign in with. The privacy
 * budget at every node is kept per person (the nodes see a pseudonym of this
 * record's id), so a second identity provider, a new account or a new project
 * name never buys a second budget.
 */

import { parseRoles, type Role } from './roles.js';

export interface Person {
  /** Stable, random; never shown to nodes (they see a keyed pseudonym of it). */
  id: string;
  name: string | null;
  /** Used to link a new identity to this person when the provider vouches for the address. */
  email: string | null;
  roles: Role[];
  status: 'active' | 'suspended';
  createdAt: string;
}

/** An account at an identity provider: the `iss` and `sub` of its tokens. */
export interface Identity {
  issuer: string;
  subject: string;
}

export interface LinkedIdentity extends Identity {
  personId: string;
  linkedAt: string;
  /** Who or what linked it: a staff member, "registration", "verified email". */
  linkedBy: string;
}

export interface NewPerson {
  name?: string;
  email?: string;
  roles?: Role[];
}

/**
 * Where people and their identities are kept: SQLite by default (createSqlitePeople), PostgreSQL
 * for several coordinators sharing one database (packages/postgres). Asynchronous because a
 * database server is; every implementation passes testing/people-compliance.ts.
 */
export interface PeopleRepository {
  create(person: NewPerson): Promise<Person>;
  get(id: string): Promise<Person | undefined>;
  findByIdentity(identity: Identity): Promise<Person | undefined>;
  /** The person with this e-mail address (compared case-insensitively), if exactly one has it. */
  findByEmail(email: string): Promise<Person | undefined>;
  /**
   * Links an identity to a person (linking it again to the same person changes nothing).
   * @throws BiospecError ALREADY_EXISTS when it is linked to another person; NOT_FOUND for an unknown person.
   */
  link(personId: string, identity: Identity, linkedBy: string): Promise<LinkedIdentity>;
  identities(personId: string): Promise<LinkedIdentity[]>;
  list(): Promise<Person[]>;
  setStatus(personId: string, status: Person['status']): Promise<Person>;
  /** @throws BiospecError INVALID_ARGUMENT naming a role that is not one; NOT_FOUND for an unknown person. */
  setRoles(personId: string, roles: Role[]): Promise<Person>;
  /** Active people who hold `role` (stewards of a node, staff), for notifications. */
  withRole(role: Role): Promise<Person[]>;
  close(): Promise<void>;
}

/** Checks roles (see {@link parseRoles}) and removes repeats; the one rule every repository applies. */
export function checkRoles(roles: readonly string[]): Role[] {
  return parseRoles(roles);
}
