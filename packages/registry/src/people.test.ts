import { BiospecError } from '@biospec/protocol';
import { createSqlitePeople } from './sqlite-people.js';
import { resolvePerson, type IssuerRegistration } from './resolve-person.js';

const linkOnly: IssuerRegistration = { issuer: 'https://idp.example', unknownIdentities: 'link', linkByVerifiedEmail: false };

describe('people and their identities', () => {
  test('a person created with one identity is found by it; a second identity links to the same record', () => {
    const people = createSqlitePeople(':memory:');
    const alice = people.create({ name: 'Alice', email: 'Alice@Example.org' });
    people.link(alice.id, { issuer: 'coordinator', subject: 'alice' }, 'staff:bob');
    people.link(alice.id, { issuer: 'https://idp.example', subject: '8c1f' }, 'staff:bob');
    expect(people.findByIdentity({ issuer: 'https://idp.example', subject: '8c1f' })?.id).toBe(alice.id);
    expect(people.findByEmail('alice@example.ORG')?.id).toBe(alice.id);
    expect(people.identities(alice.id).map((i) => i.issuer)).toEqual(['coordinator', 'https://idp.example']);
    const other = people.create({});
    expect(() => people.link(other.id, { issuer: 'coordinator', subject: 'alice' }, 'x')).toThrow(BiospecError);
    people.close();
  });

  test('an unknown identity is refused under "link", with what to ask for', () => {
    const people = createSqlitePeople(':memory:');
    expect(() => resolvePerson(people, { issuer: 'https://idp.example', subject: 'nobody' }, linkOnly)).toThrow(
      'identity nobody of https://idp.example is not registered with this coordinator; ask coordinator staff to link it to your researcher record (biospec coordinator researcher link)',
    );
  });

  test('a verified e-mail links a second provider\'s identity to the existing person; an unverified one does not', () => {
    const people = createSqlitePeople(':memory:');
    const alice = people.create({ email: 'alice@example.org' });
    const byEmail = { ...linkOnly, linkByVerifiedEmail: true };
    expect(() => resolvePerson(people, { issuer: 'https://idp.example', subject: 'a2', email: 'alice@example.org', emailVerified: false }, byEmail)).toThrow(BiospecError);
    expect(resolvePerson(people, { issuer: 'https://idp.example', subject: 'a2', email: 'alice@example.org', emailVerified: true }, byEmail).id).toBe(alice.id);
    expect(people.identities(alice.id)).toHaveLength(1);
  });

  test('"auto" makes a record for a new identity, once', () => {
    const people = createSqlitePeople(':memory:');
    const auto = { ...linkOnly, unknownIdentities: 'auto' as const };
    const first = resolvePerson(people, { issuer: 'https://idp.example', subject: 'z' }, auto);
    expect(resolvePerson(people, { issuer: 'https://idp.example', subject: 'z' }, auto).id).toBe(first.id);
    expect(people.list()).toHaveLength(1);
  });

  test('a suspended person is refused; roles are checked', () => {
    const people = createSqlitePeople(':memory:');
    const p = people.create({});
    people.link(p.id, { issuer: 'coordinator', subject: 's' }, 'x');
    people.setStatus(p.id, 'suspended');
    expect(() => resolvePerson(people, { issuer: 'coordinator', subject: 's' }, linkOnly)).toThrow('suspended');
    expect(() => people.setRoles(p.id, ['emperor' as never])).toThrow("unknown role 'emperor'");
  });
});
