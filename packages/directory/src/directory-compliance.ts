import type { SigningKey } from '@biospec/trust';
import { signDescriptor } from './descriptor.js';
import type { Directory, DirectoryEntry, DirectoryOptions } from './directory.js';
import { descriptorFor, newKey, payloadOf, publicJwk, signRaw, viewOf, waitFor, b64 } from './test-support.js';

/** A running network of directories, whatever carries it. */
export interface DirectoryNetwork {
  directories: Directory[];
  /** Sends raw bytes on the directory topic as an outside peer named `from` would. Resolves once sent. */
  inject(data: Uint8Array | string, from?: string): Promise<void>;
  /** Starts one more directory on the same network (stopped with the others). */
  join(options: DirectoryOptions): Promise<Directory>;
  stop(): Promise<void>;
}

/** Starts `size` directories on one network; `optionsFor(i)` gives the i-th its options. */
export type NetworkFactory = (size: number, optionsFor: (i: number) => DirectoryOptions) => Promise<DirectoryNetwork>;

/**
 * Timings short enough for tests; every wait still polls a condition with a generous deadline.
 * The replay grace stays above gossipsub's message history (5 heartbeats of 1 s): a peer that
 * missed an announcement fetches it by IWANT seconds later, after newer ones, and must not be blamed.
 */
export const TEST_TIMINGS: DirectoryOptions = { refreshIntervalMs: 300, staleAfterMs: 1500, maxAgeMs: 60_000, replayGraceMs: 5000 };

const SIZE = 5;
const nodeId = (i: number) => `node-${i}`;

/**
 * One behaviour, every implementation: the suite each `Directory` must pass. Run by
 * memory-directory.test.ts and libp2p-directory.test.ts.
 */
export function directoryComplianceSuite(name: string, factory: NetworkFactory): void {
  describe(`${name}: directory compliance`, () => {
    let network: DirectoryNetwork | undefined;
    let keys: SigningKey[];

    beforeAll(async () => {
      keys = await Promise.all(Array.from({ length: SIZE + 1 }, () => newKey()));
    });
    afterEach(async () => {
      await network?.stop();
      network = undefined;
    });

    async function startAll(optionsFor: (i: number) => DirectoryOptions = () => ({})): Promise<Directory[]> {
      network = await factory(SIZE, (i) => ({ ...TEST_TIMINGS, ...optionsFor(i) }));
      return network.directories;
    }
    async function publishAll(directories: Directory[]): Promise<void> {
      await Promise.all(directories.map((d, i) => d.publish(descriptorFor(nodeId(i), [keys[i]!]), keys[i]!)));
    }
    const everyone = (directories: Directory[], holds: (d: Directory) => boolean) => directories.every(holds);
    async function converged(directories: Directory[]): Promise<void> {
      await waitFor('every directory to see every node', () => everyone(directories, (d) => d.current().filter((e) => !e.stale).length === SIZE));
    }

    test('every directory converges on the same entries', async () => {
      const directories = await startAll();
      await publishAll(directories);
      await converged(directories);
      await waitFor('identical views', () => directories.every((d) => JSON.stringify(viewOf(d)) === JSON.stringify(viewOf(directories[0]!))));
      for (const d of directories) {
        expect(d.current().map((e) => [e.nodeId, e.trust, e.stale])).toEqual(directories.map((_, i) => [nodeId(i), 'first-use', false]));
        expect(d.get('node-2')?.descriptor).toMatchObject({ name: 'Biobank node-2', endpoint: 'node-2.example.org:50051', dataEpoch: 3 });
      }
    });

    test('a directory that joins later learns every node at once, not at the next refresh', async () => {
      const slow = { refreshIntervalMs: 120_000, staleAfterMs: 360_000 };
      const directories = await startAll(() => slow);
      await publishAll(directories);
      await converged(directories);
      const started = Date.now();
      const late = await network!.join({ ...TEST_TIMINGS, ...slow });
      await waitFor('the newcomer to know every node', () => late.current().length === SIZE, 30_000);
      expect(Date.now() - started).toBeLessThan(slow.refreshIntervalMs);
    });

    test('a descriptor change reaches every directory and fires change there', async () => {
      const directories = await startAll();
      await publishAll(directories);
      await converged(directories);
      const seen = directories.map(() => [] as DirectoryEntry[]);
      directories.forEach((d, i) => d.on('change', (entry) => entry.nodeId === 'node-1' && seen[i]!.push(entry)));
      await directories[1]!.publish(descriptorFor('node-1', [keys[1]!], { endpoint: 'moved.example.org:50052', dataEpoch: 4 }));
      await waitFor('the new endpoint everywhere', () => everyone(directories, (d) => d.get('node-1')?.descriptor.endpoint === 'moved.example.org:50052'));
      await waitFor('a change event everywhere', () => seen.every((s) => s.length >= 1));
      expect(seen.every((s) => s[0]?.descriptor.dataEpoch === 4)).toBe(true);
    });

    test('a forged descriptor (bad signature) is dropped and counted everywhere', async () => {
      const directories = await startAll();
      await publishAll(directories);
      await converged(directories);
      const genuine = directories[0]!.get('node-0')!.token;
      const [header, , signature] = genuine.split('.');
      const forged = `${header}.${b64({ ...payloadOf(genuine), endpoint: 'evil.example.org:443', seq: Date.now() + 1000 })}.${signature}`;
      await network!.inject(forged);
      await waitFor('bad-signature counted everywhere', () => everyone(directories, (d) => d.stats().dropped['bad-signature'] >= 1));
      expect(directories.every((d) => d.get('node-0')?.descriptor.endpoint === 'node-0.example.org:50051')).toBe(true);
    });

    test("a descriptor signed with another node's key is dropped and counted everywhere", async () => {
      const directories = await startAll();
      await publishAll(directories);
      await converged(directories);
      const mallory = keys[1]!;
      // node-1's key claims to speak for node-0, even listing node-0's real key beside its own.
      const claim = descriptorFor('node-0', [mallory, keys[0]!], { endpoint: 'evil.example.org:443' });
      await network!.inject(signDescriptor(claim, mallory, { seq: Date.now(), iat: Math.floor(Date.now() / 1000) }));
      await waitFor('untrusted-key counted everywhere', () => everyone(directories, (d) => d.stats().dropped['untrusted-key'] >= 1));
      expect(directories.every((d) => d.get('node-0')?.signedBy === keys[0]!.kid && d.get('node-0')?.descriptor.endpoint === 'node-0.example.org:50051')).toBe(true);
    });

    test('a replayed older descriptor is dropped and counted everywhere', async () => {
      const directories = await startAll();
      await publishAll(directories);
      await converged(directories);
      const latest = directories[0]!.get('node-0')!.descriptor.seq;
      // A descriptor node-0 really signed, older than the latest by more than the grace period. (A byte-identical
      // copy of a message gossip carried in the last two minutes never reaches the directory: gossipsub's seen cache
      // drops it first. This is the replay that comes after: one the network has not seen as bytes lately.)
      const seq = latest - TEST_TIMINGS.replayGraceMs! - 1000;
      const old = signDescriptor(descriptorFor('node-0', [keys[0]!], { endpoint: 'old.example.org:50051' }), keys[0]!, { seq, iat: Math.floor(seq / 1000) });
      await network!.inject(old);
      await waitFor('replayed counted everywhere', () => everyone(directories, (d) => d.stats().dropped.replayed >= 1));
      expect(directories.every((d) => d.get('node-0')!.descriptor.seq >= latest && d.get('node-0')!.descriptor.endpoint === 'node-0.example.org:50051')).toBe(true);
    });

    test('unsigned, malformed and oversized descriptors are dropped and counted everywhere', async () => {
      const directories = await startAll(() => ({ maxDescriptorBytes: 8192 }));
      await publishAll(directories);
      await converged(directories);
      const genuine = directories[0]!.get('node-0')!.token;
      await network!.inject(JSON.stringify(payloadOf(genuine)), 'sender-unsigned');
      await network!.inject(
        signRaw({ alg: 'EdDSA', kid: keys[5]!.kid, typ: 'biospec-descriptor+jwt' }, { ...payloadOf(genuine), nodeId: 'Not An Id', jwks: { keys: [publicJwk(keys[5]!)] } }, keys[5]!),
        'sender-malformed',
      );
      await network!.inject(new Uint8Array(8193).fill(65), 'sender-oversized');
      await waitFor('each reason counted everywhere', () =>
        everyone(directories, (d) => d.stats().dropped.unsigned >= 1 && d.stats().dropped.malformed >= 1 && d.stats().dropped.oversized >= 1),
      );
      expect(directories.every((d) => d.current().length === SIZE)).toBe(true);
    });

    test('a stopped node shows as stale everywhere within the configured time, and the others stay live', async () => {
      const directories = await startAll();
      await publishAll(directories);
      await converged(directories);
      const survivors = directories.slice(0, SIZE - 1);
      const staleAt = new Map<Directory, { at: number; entry: DirectoryEntry }>();
      for (const d of survivors) d.on('stale', (entry) => entry.nodeId === nodeId(SIZE - 1) && staleAt.set(d, { at: Date.now(), entry }));
      const stoppedAt = Date.now();
      await directories[SIZE - 1]!.stop();
      await waitFor('node-4 stale everywhere', () => staleAt.size === survivors.length);
      const { staleAfterMs, refreshIntervalMs } = TEST_TIMINGS as Required<DirectoryOptions>;
      for (const { at, entry } of staleAt.values()) {
        // Never before its time; at the latest one sweep after it, plus what a loaded machine's timers may add.
        expect(at - entry.lastSeenAt).toBeGreaterThanOrEqual(staleAfterMs);
        expect(at - stoppedAt).toBeLessThanOrEqual(staleAfterMs + refreshIntervalMs + 2000);
      }
      for (const d of survivors) expect(d.current().filter((e) => e.stale).map((e) => e.nodeId)).toEqual([nodeId(SIZE - 1)]);
    });

    test('a key rotation published by a node reaches every directory, and the retired key is refused after it', async () => {
      const directories = await startAll();
      await publishAll(directories);
      await converged(directories);
      const [oldKey, newKeyOfNode] = [keys[2]!, await newKey()];
      await directories[2]!.publish(descriptorFor('node-2', [oldKey, newKeyOfNode]), oldKey);
      await waitFor('both keys announced everywhere', () => everyone(directories, (d) => d.get('node-2')?.descriptor.jwks.keys.length === 2));
      await directories[2]!.publish(descriptorFor('node-2', [newKeyOfNode]), newKeyOfNode);
      await waitFor('the new key in use everywhere', () =>
        everyone(directories, (d) => d.get('node-2')?.signedBy === newKeyOfNode.kid && d.get('node-2')?.descriptor.jwks.keys.length === 1),
      );
      const replayedOldKey = signDescriptor(descriptorFor('node-2', [oldKey], { endpoint: 'evil.example.org:443' }), oldKey, {
        seq: Date.now() + 10,
        iat: Math.floor(Date.now() / 1000),
      });
      await network!.inject(replayedOldKey);
      await waitFor('the retired key refused everywhere', () => everyone(directories, (d) => d.stats().dropped['untrusted-key'] >= 1));
      expect(directories.every((d) => d.get('node-2')?.descriptor.endpoint === 'node-2.example.org:50051')).toBe(true);
    });

    test("pinned keys win over first use: an impostor who announces first fools only the directories that did not pin", async () => {
      const realKey = keys[4]!;
      const pin = (id: string) => (id === nodeId(4) ? [publicJwk(realKey)] : undefined);
      // Directory 0 pins node-4 (as a coordinator pins its members); node-4 pins itself.
      const directories = await startAll((i) => (i === 0 || i === 4 ? { pinnedKeys: pin } : {}));
      await Promise.all(directories.slice(0, 4).map((d, i) => d.publish(descriptorFor(nodeId(i), [keys[i]!]), keys[i]!)));
      await waitFor('four nodes everywhere', () => everyone(directories, (d) => d.current().length >= 4));
      const impostor = keys[5]!;
      await network!.inject(signDescriptor(descriptorFor(nodeId(4), [impostor]), impostor, { seq: Date.now(), iat: Math.floor(Date.now() / 1000) }));
      await waitFor('the impostor taken on first use by 1-3', () => [1, 2, 3].every((i) => directories[i]!.get(nodeId(4))?.signedBy === impostor.kid));
      await directories[4]!.publish(descriptorFor(nodeId(4), [realKey]), realKey);
      await waitFor('the real node-4 at the pinning directory', () => directories[0]!.get(nodeId(4))?.signedBy === realKey.kid);
      expect(directories[0]!.get(nodeId(4))?.trust).toBe('pinned');
      await waitFor('the real node-4 refused by the fooled ones', () => [1, 2, 3].every((i) => directories[i]!.stats().dropped['untrusted-key'] >= 1));
      expect([1, 2, 3].every((i) => directories[i]!.get(nodeId(4))?.signedBy === impostor.kid)).toBe(true);
    });
  });
}
