/**
 * One record per person, whatever accounts they sign in with. The privacy
 * budget at every node is kept per person (the nodes see a pseudonym of this
 * record's id), so a second identity provider, a new account or a new project
 * name never buys a second budget.
 */

import type { Role } from './roles.js';

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

/** Where people and their identities are kept (SQLite by default; see createSqlitePeople). */
export interface PeopleRepository {
  create(person: NewPerson): Person;
  get(id: string): Person | undefined;
  findByIdentity(identity: Identity): Person | undefined;
  /** The person with this e-mail address (compared case-insensitively), if exactly one has it. */
  findByEmail(email: string): Person | undefined;
  /**
   * Links an identity to a person.
   * @throws BiospecError ALREADY_EXISTS when it is linked to another person; NOT_FOUND for an unknown person.
   */
  link(personId: string, identity: Identity, linkedBy: string): LinkedIdentity;
  identities(personId: string): LinkedIdentity[];
  list(): Person[];
  setStatus(personId: string, status: Person['status']): Person;
  setRoles(personId: string, roles: Role[]): Person;
  /** Active people who hold `role` (stewards of a node, staff), for notifications. */
  withRole(role: Role): Person[];
  close(): void;
}
