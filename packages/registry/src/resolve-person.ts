import { BiospecError } from '@biospec/protocol';
import type { Identity, PeopleRepository, Person } from './people.js';

/** How the coordinator treats an identity it has never seen, per issuer. */
export interface IssuerRegistration {
  issuer: string;
  /**
   * `link`: only identities staff linked (or matched by a verified e-mail) may ask.
   * `auto`: an unknown identity becomes a new person. Convenient, but one human with
   * two accounts there gets two records, and so two budgets.
   */
  unknownIdentities: 'link' | 'auto';
  /** Link an unknown identity to the person with the same e-mail when the token says it is verified. */
  linkByVerifiedEmail: boolean;
}

/** What a verified token says about who is asking. */
export interface TokenIdentity extends Identity {
  name?: string;
  email?: string;
  emailVerified?: boolean;
}

/**
 * The person behind a verified token: the one its identity is linked to; else,
 * if the issuer allows, the person with the same verified e-mail (then linked);
 * else a new person under `auto`. Refuses suspended people and identities
 * nobody has linked.
 * @throws BiospecError PERMISSION_DENIED naming what to ask staff for.
 */
export async function resolvePerson(people: PeopleRepository, token: TokenIdentity, registration: IssuerRegistration): Promise<Person> {
  let person = await people.findByIdentity(token);
  if (person === undefined && registration.linkByVerifiedEmail && token.email && token.emailVerified === true) {
    const match = await people.findByEmail(token.email);
    if (match !== undefined) person = await linkOrFind(people, match, token, 'verified email');
  }
  if (person === undefined && registration.unknownIdentities === 'auto') {
    const created = await people.create({ ...(token.name ? { name: token.name } : {}), ...(token.email ? { email: token.email } : {}) });
    person = await linkOrFind(people, created, token, 'registration');
  }
  if (person === undefined) {
    throw new BiospecError(
      'PERMISSION_DENIED',
      `identity ${token.subject} of ${token.issuer} is not registered with this coordinator; ask coordinator staff to link it to your researcher record (biospec coordinator researcher link)`,
    );
  }
  if (person.status !== 'active') throw new BiospecError('PERMISSION_DENIED', 'this researcher record is suspended; ask coordinator staff');
  return person;
}

/**
 * Links `identity` to `person`, or, when another coordinator sharing the database linked it to
 * someone first (ALREADY_EXISTS), the person it won with.
 */
async function linkOrFind(people: PeopleRepository, person: Person, identity: TokenIdentity, linkedBy: string): Promise<Person> {
  try {
    await people.link(person.id, identity, linkedBy);
    return person;
  } catch (error) {
    if (!(error instanceof BiospecError) || error.code !== 'ALREADY_EXISTS') throw error;
    const winner = await people.findByIdentity(identity);
    if (winner === undefined) throw error;
    return winner;
  }
}
