import type { SigningKey } from '@biospec/trust';
import { DIRECTORY_TOPIC, signDescriptor, type DescriptorInput } from './descriptor.js';
import { resolveSettings } from './directory-core.js';
import { createDirectoryState, type DirectoryState } from './directory-state.js';
import type { DirectoryEntry, DirectoryOptions } from './directory.js';
import { b64, descriptorFor, newKey, payloadOf, publicJwk, signRaw } from './test-support.js';

const T0 = 1_800_000_000_000;
let clock = T0;
let keyA: SigningKey;
let keyB: SigningKey;

beforeAll(async () => {
  [keyA, keyB] = await Promise.all([newKey(), newKey()]);
});
beforeEach(() => {
  clock = T0;
});

function stateWith(options: DirectoryOptions = {}): DirectoryState {
  return createDirectoryState(resolveSettings({ refreshIntervalMs: 1000, staleAfterMs: 3000, now: () => clock, ...options }));
}

function sign(input: DescriptorInput, key: SigningKey, seq = clock): string {
  return signDescriptor(input, key, { seq, iat: Math.floor(seq / 1000) });
}

test('the topic is versioned', () => {
  expect(DIRECTORY_TOPIC).toBe('/biospec/directory/1');
});

test('accepts a first descriptor, then only newer ones; the same one again is a duplicate', async () => {
  const state = stateWith();
  const first = sign(descriptorFor('node-a', [keyA]), keyA);
  expect((await state.offer(first)).action).toBe('accept');
  expect(await state.offer(first)).toEqual({ action: 'ignore', reason: 'duplicate', detail: expect.any(String) });

  clock += 5000;
  const second = sign(descriptorFor('node-a', [keyA], { name: 'Renamed' }), keyA);
  expect((await state.offer(second)).action).toBe('accept');
  expect(state.get('node-a')?.descriptor.name).toBe('Renamed');
  expect(state.stats()).toMatchObject({ accepted: 2, duplicates: 1 });
});

test('an older descriptor is dropped: superseded (ignored, not an error) within the grace period, rejected as replayed beyond it', async () => {
  const state = stateWith({ replayGraceMs: 2000, maxAgeMs: 60_000 });
  const old = sign(descriptorFor('node-a', [keyA]), keyA, clock);
  const recent = sign(descriptorFor('node-a', [keyA]), keyA, clock + 4000);
  const latest = sign(descriptorFor('node-a', [keyA]), keyA, clock + 5000);
  clock += 5000;
  await state.offer(latest);
  expect(await state.offer(recent)).toMatchObject({ action: 'ignore', reason: 'superseded' });
  expect(await state.offer(old)).toMatchObject({ action: 'reject', reason: 'replayed' });
  expect(state.stats()).toMatchObject({ superseded: 1, dropped: { replayed: 1 } });
  expect(state.get('node-a')?.descriptor.seq).toBe(clock);
});

test('a second descriptor with the same sequence but other content is a replay, not a duplicate', async () => {
  const state = stateWith({ replayGraceMs: 60_000 });
  await state.offer(sign(descriptorFor('node-a', [keyA]), keyA));
  expect(await state.offer(sign(descriptorFor('node-a', [keyA], { name: 'Other' }), keyA))).toMatchObject({ action: 'reject', reason: 'replayed' });
});

test('trust on first use: the first key seen for a node id is the only one accepted for it', async () => {
  const state = stateWith();
  await state.offer(sign(descriptorFor('node-a', [keyA]), keyA));
  clock += 1000;
  // Another key, even listed beside node-a's real key, cannot speak for node-a.
  const verdict = await state.offer(sign(descriptorFor('node-a', [keyB, keyA]), keyB));
  expect(verdict).toMatchObject({ action: 'reject', reason: 'untrusted-key' });
  expect(state.get('node-a')?.signedBy).toBe(keyA.kid);
  expect(state.get('node-a')?.trust).toBe('first-use');
});

test('a kid that is trusted but names different key material is not trusted', async () => {
  const state = stateWith();
  await state.offer(sign(descriptorFor('node-a', [keyA]), keyA));
  clock += 1000;
  const impostor: SigningKey = { ...keyB, kid: keyA.kid, publicJwk: { ...keyB.publicJwk, kid: keyA.kid } };
  expect(await state.offer(sign(descriptorFor('node-a', [impostor]), impostor))).toMatchObject({ action: 'reject', reason: 'untrusted-key' });
});

test('rotation: a descriptor signed by a trusted key that lists a new key makes the new key trusted, and a descriptor without the old key retires it', async () => {
  const state = stateWith();
  await state.offer(sign(descriptorFor('node-a', [keyA]), keyA));
  clock += 1000;
  expect((await state.offer(sign(descriptorFor('node-a', [keyA, keyB]), keyA))).action).toBe('accept');
  clock += 1000;
  expect((await state.offer(sign(descriptorFor('node-a', [keyB]), keyB))).action).toBe('accept');
  expect(state.get('node-a')?.signedBy).toBe(keyB.kid);
  clock += 1000;
  expect(await state.offer(sign(descriptorFor('node-a', [keyA]), keyA))).toMatchObject({ action: 'reject', reason: 'untrusted-key' });
});

test('a pinned key set always wins over first use, and is not widened by what descriptors list', async () => {
  const state = stateWith({ pinnedKeys: (id) => (id === 'node-a' ? [publicJwk(keyA)] : undefined) });
  // An impostor that gets there first is refused even though nobody has been seen for node-a.
  expect(await state.offer(sign(descriptorFor('node-a', [keyB]), keyB))).toMatchObject({ action: 'reject', reason: 'untrusted-key' });
  expect((await state.offer(sign(descriptorFor('node-a', [keyA, keyB]), keyA))).action).toBe('accept');
  expect(state.get('node-a')?.trust).toBe('pinned');
  clock += 1000;
  // The descriptor announced keyB, but the pin decides: only the coordinator's membership can add it.
  expect(await state.offer(sign(descriptorFor('node-a', [keyB]), keyB))).toMatchObject({ action: 'reject', reason: 'untrusted-key' });
});

test('objective failures are rejected with their reason: oversized, unsigned, malformed, bad signature', async () => {
  const state = stateWith({ maxDescriptorBytes: 4096 });
  const good = sign(descriptorFor('node-a', [keyA]), keyA);
  const [header, payload] = good.split('.') as [string, string, string];
  const cases: [string, string | Uint8Array][] = [
    ['oversized', new Uint8Array(4097)],
    ['unsigned', 'hello'],
    ['unsigned', `${header}.${payload}.`],
    ['unsigned', `${b64({ alg: 'none', typ: 'biospec-descriptor+jwt' })}.${payload}.c2ln`],
    ['malformed', `${header}.${payload}!.c2ln`],
    ['malformed', `${b64('[1]')}.${payload}.c2ln`],
    ['malformed', signRaw({ alg: 'EdDSA', kid: keyA.kid, typ: 'biospec-result+jwt' }, payloadOf(good), keyA)],
    ['malformed', signRaw({ alg: 'EdDSA', kid: keyA.kid, typ: 'biospec-descriptor+jwt' }, { ...payloadOf(good), v: 2 }, keyA)],
    ['malformed', signRaw({ alg: 'EdDSA', kid: keyA.kid, typ: 'biospec-descriptor+jwt' }, { ...payloadOf(good), nodeId: 'Node A' }, keyA)],
    [
      'malformed',
      signRaw({ alg: 'EdDSA', kid: keyA.kid, typ: 'biospec-descriptor+jwt' }, { ...payloadOf(good), jwks: { keys: [{ ...publicJwk(keyA), d: 'secret' }] } }, keyA),
    ],
    ['bad-signature', `${header}.${b64({ ...payloadOf(good), name: 'Forged' })}.${good.split('.')[2]}`],
    ['bad-signature', signRaw({ alg: 'EdDSA', kid: keyB.kid, typ: 'biospec-descriptor+jwt' }, payloadOf(good), keyB)],
  ];
  for (const [reason, data] of cases) {
    expect(await state.offer(data)).toMatchObject({ action: 'reject', reason });
  }
  expect(state.current()).toEqual([]);
  expect(state.stats().dropped).toMatchObject({ oversized: 1, unsigned: 3, malformed: 6, 'bad-signature': 2 });
});

test('descriptors signed too long ago are rejected as expired; from too far ahead, ignored as future', async () => {
  const state = stateWith({ maxAgeMs: 10_000, maxClockSkewMs: 5000 });
  expect(await state.offer(sign(descriptorFor('node-a', [keyA]), keyA, clock - 11_000))).toMatchObject({ action: 'reject', reason: 'expired' });
  expect(await state.offer(sign(descriptorFor('node-a', [keyA]), keyA, clock + 6000))).toMatchObject({ action: 'ignore', reason: 'future' });
  expect((await state.offer(sign(descriptorFor('node-a', [keyA]), keyA, clock + 4000))).action).toBe('accept');
});

test('a node goes stale after staleAfterMs without a descriptor, once, and comes back with a change', async () => {
  const state = stateWith({ staleAfterMs: 3000 });
  const stale: DirectoryEntry[] = [];
  const changes: [DirectoryEntry, DirectoryEntry | undefined][] = [];
  state.on('stale', (e) => stale.push(e));
  state.on('change', (e, previous) => changes.push([e, previous]));
  await state.offer(sign(descriptorFor('node-a', [keyA]), keyA));
  clock += 1000;
  // A re-announcement with the same content refreshes the entry without a change event.
  await state.offer(sign(descriptorFor('node-a', [keyA]), keyA));
  expect(changes).toHaveLength(1);
  clock += 3000;
  state.sweep();
  expect(stale).toHaveLength(0);
  clock += 1;
  state.sweep();
  state.sweep();
  expect(stale.map((e) => e.nodeId)).toEqual(['node-a']);
  expect(state.get('node-a')?.stale).toBe(true);
  await state.offer(sign(descriptorFor('node-a', [keyA]), keyA));
  expect(state.get('node-a')?.stale).toBe(false);
  expect(changes).toHaveLength(2);
  expect(changes[1]?.[1]?.stale).toBe(true);
});

test('beyond maxNodes a new node evicts the longest-stale one, or is dropped when all are live', async () => {
  const state = stateWith({ maxNodes: 2, staleAfterMs: 3000 });
  const keys = await Promise.all([newKey(), newKey(), newKey()]);
  await state.offer(sign(descriptorFor('node-a', [keys[0]!]), keys[0]!));
  await state.offer(sign(descriptorFor('node-b', [keys[1]!]), keys[1]!));
  expect(await state.offer(sign(descriptorFor('node-c', [keys[2]!]), keys[2]!))).toMatchObject({ action: 'ignore', reason: 'capacity' });
  clock += 2000;
  await state.offer(sign(descriptorFor('node-b', [keys[1]!]), keys[1]!));
  clock += 1500;
  state.sweep();
  expect((await state.offer(sign(descriptorFor('node-c', [keys[2]!]), keys[2]!))).action).toBe('accept');
  expect(state.current().map((e) => e.nodeId)).toEqual(['node-b', 'node-c']);
});

test('restored entries start stale and keep their first-use trust', async () => {
  const before = stateWith();
  await before.offer(sign(descriptorFor('node-a', [keyA]), keyA));
  const saved = before.current().map((e) => ({ token: e.token, firstSeenAt: e.firstSeenAt, lastSeenAt: e.lastSeenAt }));

  clock += 60_000;
  const after = stateWith();
  await after.restore([...saved, { token: 'garbage', firstSeenAt: 0, lastSeenAt: 0 }]);
  expect(after.current()).toMatchObject([{ nodeId: 'node-a', stale: true, trust: 'first-use' }]);
  expect(await after.offer(sign(descriptorFor('node-a', [keyB]), keyB))).toMatchObject({ action: 'reject', reason: 'untrusted-key' });
  expect((await after.offer(sign(descriptorFor('node-a', [keyA]), keyA))).action).toBe('accept');
  expect(after.get('node-a')?.stale).toBe(false);
});

test('a listener that throws is reported as an error and does not change the verdict', async () => {
  const state = stateWith();
  const errors: Error[] = [];
  state.on('error', (e) => errors.push(e));
  state.on('change', () => {
    throw new Error('listener bug');
  });
  expect((await state.offer(sign(descriptorFor('node-a', [keyA]), keyA))).action).toBe('accept');
  expect(errors.map((e) => e.message)).toEqual(['listener bug']);
});

test('signDescriptor refuses a key the descriptor does not list, and invalid input, with the field', () => {
  expect(() => sign(descriptorFor('node-a', [keyB]), keyA)).toThrow(/not among the descriptor's keys/);
  expect(() => sign(descriptorFor('node-a', [keyA], { endpoint: 'no port' }), keyA)).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT', issues: [expect.objectContaining({ field: 'endpoint' })] }),
  );
});
