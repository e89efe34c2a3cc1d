/**
 * One test suite for every PeopleRepository (SQLite, PostgreSQL): each runs it with a factory of
 * empty repositories, and `reopen` (when given) shows the records survive closing the store.
 */
import { BiospecError } from '@biospec/protocol';
import type { PeopleRepository } from '../people.js';
import { resolvePerson, type IssuerRegistration } from '../resolve-person.js';

export interface PeopleHarness {
  /** A repository over empty storage. */
  open(): Promise<PeopleRepository>;
  /** The same storage as the last `open()`, opened again (the old repository is closed first). */
  reopen?: () => Promise<PeopleRepository>;
}

const linkOnly: IssuerRegistration = { issuer: 'https://idp.example', unknownIdentities: 'link', linkByVerifiedEmail: false };

export function peopleCompliance(name: string, harness: PeopleHarness): void {
  describe(`people repository compliance: ${name}`, () => {
    let people: PeopleRepository;
    beforeEach(async () => {
      people = await harness.open();
    });
    afterEach(async () => {
      await people.close();
    });

    test('a person created with one identity is found by it; a second identity links to the same record', async () => {
      const alice = await people.create({ name: 'Alice', email: 'Alice@Example.org' });
      expect(alice).toMatchObject({ name: 'Alice', email: 'Alice@Example.org', roles: ['researcher'], status: 'active' });
      await people.link(alice.id, { issuer: 'coordinator', subject: 'alice' }, 'staff:bob');
      await people.link(alice.id, { issuer: 'https://idp.example', subject: '8c1f' }, 'staff:bob');
      // Linking again to the same person changes nothing.
      await people.link(alice.id, { issuer: 'coordinator', subject: 'alice' }, 'staff:carol');
      expect((await people.findByIdentity({ issuer: 'https://idp.example', subject: '8c1f' }))?.id).toBe(alice.id);
      expect((await people.findByEmail('alice@example.ORG'))?.id).toBe(alice.id);
      const ids = await people.identities(alice.id);
      expect(ids.map((i) => [i.issuer, i.linkedBy])).toEqual([
        ['coordinator', 'staff:bob'],
        ['https://idp.example', 'staff:bob'],
      ]);
      const other = await people.create({});
      await expect(people.link(other.id, { issuer: 'coordinator', subject: 'alice' }, 'x')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      await expect(people.link('no-such-person', { issuer: 'coordinator', subject: 'z' }, 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await people.get('no-such-person')).toBeUndefined();
      expect((await people.get(alice.id))?.email).toBe('Alice@Example.org');
    });

    test('an e-mail address two people share finds nobody', async () => {
      await people.create({ email: 'shared@example.org' });
      await people.create({ email: 'SHARED@example.org' });
      expect(await people.findByEmail('shared@example.org')).toBeUndefined();
    });

    test('an unknown identity is refused under "link", with what to ask for', async () => {
      await expect(resolvePerson(people, { issuer: 'https://idp.example', subject: 'nobody' }, linkOnly)).rejects.toThrow(
        'identity nobody of https://idp.example is not registered with this coordinator; ask coordinator staff to link it to your researcher record (biospec coordinator researcher link)',
      );
    });

    test("a verified e-mail links a second provider's identity to the existing person; an unverified one does not", async () => {
      const alice = await people.create({ email: 'alice@example.org' });
      const byEmail = { ...linkOnly, linkByVerifiedEmail: true };
      await expect(resolvePerson(people, { issuer: 'https://idp.example', subject: 'a2', email: 'alice@example.org', emailVerified: false }, byEmail)).rejects.toThrow(BiospecError);
      expect((await resolvePerson(people, { issuer: 'https://idp.example', subject: 'a2', email: 'alice@example.org', emailVerified: true }, byEmail)).id).toBe(alice.id);
      expect(await people.identities(alice.id)).toHaveLength(1);
    });

    test('"auto" makes a record for a new identity, once', async () => {
      const auto = { ...linkOnly, unknownIdentities: 'auto' as const };
      const first = await resolvePerson(people, { issuer: 'https://idp.example', subject: 'z' }, auto);
      expect((await resolvePerson(people, { issuer: 'https://idp.example', subject: 'z' }, auto)).id).toBe(first.id);
      expect(await people.list()).toHaveLength(1);
    });

    test('a suspended person is refused; roles are checked and kept', async () => {
      const p = await people.create({});
      await people.link(p.id, { issuer: 'coordinator', subject: 's' }, 'x');
      expect((await people.setRoles(p.id, ['researcher', 'staff', 'staff'])).roles).toEqual(['researcher', 'staff']);
      await people.setStatus(p.id, 'suspended');
      await expect(resolvePerson(people, { issuer: 'coordinator', subject: 's' }, linkOnly)).rejects.toThrow('suspended');
      await expect(people.setRoles(p.id, ['emperor' as never])).rejects.toThrow("unknown role 'emperor'");
      await expect(people.setStatus('nobody', 'active')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await people.get(p.id))?.roles).toEqual(['researcher', 'staff']);
    });

    test("a node's roles are kept; withRole finds the active people who hold one, and nobody for a role only named inside another", async () => {
      const steward = await people.create({ name: 'steward', roles: ['researcher', 'steward:north-uh'] });
      const both = await people.create({ name: 'both', roles: ['steward:north-uh', 'operator:south-uh'] });
      const gone = await people.create({ name: 'gone', roles: ['steward:north-uh'] });
      await people.setStatus(gone.id, 'suspended');
      await people.create({ name: 'plain' });
      expect((await people.withRole('steward:north-uh')).map((p) => p.name).sort()).toEqual(['both', 'steward']);
      expect((await people.withRole('operator:south-uh')).map((p) => p.id)).toEqual([both.id]);
      expect(await people.withRole('steward:north')).toEqual([]);
      expect(await people.withRole('staff')).toEqual([]);
      expect((await people.get(steward.id))?.roles).toEqual(['researcher', 'steward:north-uh']);
      await expect(people.setRoles(steward.id, ['steward:' as never])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    test('the same identity linked by two callers at once ends up with one person', async () => {
      const [a, b] = await Promise.all([people.create({ name: 'a' }), people.create({ name: 'b' })]);
      const outcomes = await Promise.allSettled([
        people.link(a.id, { issuer: 'coordinator', subject: 'race' }, 'x'),
        people.link(b.id, { issuer: 'coordinator', subject: 'race' }, 'x'),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: { code: 'ALREADY_EXISTS' } });
    });

    test('everyone is listed, by creation time', async () => {
      const first = await people.create({ name: 'first' });
      const second = await people.create({ name: 'second' });
      const listed = await people.list();
      expect(listed.map((p) => p.id).sort()).toEqual([first.id, second.id].sort());
      expect(listed[0]!.createdAt <= listed[1]!.createdAt).toBe(true);
    });

    if (harness.reopen) {
      const reopen = harness.reopen;
      test('records and links survive closing and reopening the store', async () => {
        const p = await people.create({ name: 'kept', email: 'kept@example.org' });
        await people.link(p.id, { issuer: 'coordinator', subject: 'kept' }, 'x');
        await people.close();
        people = await reopen();
        expect((await people.findByIdentity({ issuer: 'coordinator', subject: 'kept' }))?.id).toBe(p.id);
      });
    }
  });
}
