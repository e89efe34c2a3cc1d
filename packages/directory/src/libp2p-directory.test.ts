import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { DIRECTORY_TOPIC } from './descriptor.js';
import { directoryComplianceSuite, TEST_TIMINGS, type DirectoryNetwork } from './directory-compliance.js';
import type { DirectoryOptions } from './directory.js';
import type { Libp2pDirectory } from './libp2p-directory.js';
import { createLibp2pDirectory, generatePeerKey } from './libp2p-loader.js';
import { DIRECTORY_SCORE_THRESHOLDS } from './scoring.js';
import { b64, descriptorFor, newKey, payloadOf, waitFor } from './test-support.js';

// Real libp2p peers on 127.0.0.1, each its own TCP listener, Noise and Yamux: no stubs.

/** An outside peer that publishes whatever bytes it is given on the directory topic, without validating anything. */
async function startRawPeer() {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign', allowPublishToZeroTopicPeers: true }) },
  });
  node.services.pubsub.subscribe(DIRECTORY_TOPIC);
  return node;
}
type RawPeer = Awaited<ReturnType<typeof startRawPeer>>;

async function startNetwork(size: number, optionsFor: (i: number) => DirectoryOptions): Promise<Omit<DirectoryNetwork, 'directories'> & { directories: Libp2pDirectory[]; rawPeer(from: string): Promise<RawPeer> }> {
  const first = await createLibp2pDirectory({ ...optionsFor(0), dialIntervalMs: 200 });
  const [firstAddr] = first.addresses();
  // Later peers name the first one both ways a config may: with its peer id, and as a bare address.
  const bareFirstAddr = firstAddr!.replace(/\/p2p\/.*$/, '');
  const rest = await Promise.all(
    Array.from({ length: size - 1 }, (_, i) =>
      createLibp2pDirectory({ ...optionsFor(i + 1), bootstrap: [i % 2 === 0 ? firstAddr! : bareFirstAddr], dialIntervalMs: 200 }),
    ),
  );
  const directories = [first, ...rest];
  const raw = new Map<string, RawPeer>();
  async function rawPeer(from: string): Promise<RawPeer> {
    let peer = raw.get(from);
    if (peer === undefined) {
      peer = await startRawPeer();
      raw.set(from, peer);
      const started = peer;
      await Promise.all(directories.map((d) => started.dial(multiaddr(d.addresses()[0]!))));
      // Subscriptions arrive before this peer's own streams to them are open; gossipsub sends only
      // on open streams, so wait for those too (an internal map: this test peeks, the package never does).
      const streams = started.services.pubsub as unknown as { streamsOutbound: Map<string, unknown> };
      await waitFor(`${from} to see every directory subscribed`, () =>
        directories.every((d) => streams.streamsOutbound.has(d.peerId)) && started.services.pubsub.getSubscribers(DIRECTORY_TOPIC).length >= directories.length,
      );
    }
    return peer;
  }
  return {
    directories,
    rawPeer,
    async join(options) {
      const directory = await createLibp2pDirectory({ ...options, bootstrap: [firstAddr!], dialIntervalMs: 200 });
      directories.push(directory);
      return directory;
    },
    async inject(data, from = 'attacker') {
      const peer = await rawPeer(from);
      await peer.services.pubsub.publish(DIRECTORY_TOPIC, typeof data === 'string' ? new TextEncoder().encode(data) : data);
    },
    async stop() {
      await Promise.all([...directories.map((d) => d.stop()), ...[...raw.values()].map((p) => p.stop())]);
    },
  };
}

directoryComplianceSuite('libp2p gossipsub on loopback', startNetwork);

describe('libp2p directory', () => {
  let network: Awaited<ReturnType<typeof startNetwork>> | undefined;
  afterEach(async () => {
    await network?.stop();
    network = undefined;
  });

  test('a peer that keeps sending bad descriptors is scored down and then graylisted; honest peers are not', async () => {
    network = await startNetwork(5, () => TEST_TIMINGS);
    const { directories } = network;
    const keys = await Promise.all(directories.map(() => newKey()));
    await Promise.all(directories.map((d, i) => d.publish(descriptorFor(`node-${i}`, [keys[i]!]), keys[i]!)));
    await waitFor('every node everywhere', () => directories.every((d) => d.current().length === 5));

    const mallory = await network.rawPeer('mallory');
    const malloryId = mallory.peerId.toString();
    const genuine = directories[0]!.get('node-0')!.token;
    const [header, , signature] = genuine.split('.');
    const forgery = (n: number) => `${header}.${b64({ ...payloadOf(genuine), name: `Forged ${n}` })}.${signature}`;

    await network.inject(forgery(1), 'mallory');
    await waitFor('one rejection everywhere', () => directories.every((d) => d.stats().dropped['bad-signature'] === 1));
    await waitFor('a negative score everywhere', () => directories.every((d) => d.peerScore(malloryId) < 0));

    for (let n = 2; n <= 4; n++) await network.inject(forgery(n), 'mallory');
    await waitFor('four rejections everywhere', () => directories.every((d) => d.stats().dropped['bad-signature'] === 4));
    await waitFor('mallory below the graylist threshold everywhere', () =>
      directories.every((d) => d.peerScore(malloryId) < DIRECTORY_SCORE_THRESHOLDS.graylistThreshold!),
    );

    // Graylisted: what mallory sends now is not even looked at.
    await network.inject(forgery(5), 'mallory');
    const honest = await network.rawPeer('honest-observer');
    await network.inject(forgery(6), 'honest-observer');
    await waitFor("the other sender's forgery judged everywhere", () => directories.every((d) => d.stats().dropped['bad-signature'] === 5));
    expect(directories.every((d) => d.stats().dropped['bad-signature'] === 5)).toBe(true);
    expect(honest.peerId.toString()).not.toBe(malloryId);

    for (const d of directories) {
      for (const other of directories) {
        if (other !== d && d.connectedPeers().includes(other.peerId)) expect(d.peerScore(other.peerId)).toBeGreaterThanOrEqual(0);
      }
    }
  });

  test('peers named in descriptors are dialled, so the network does not hang on its bootstrap peer', async () => {
    network = await startNetwork(5, () => ({ ...TEST_TIMINGS }));
    const { directories } = network;
    const keys = await Promise.all(directories.map(() => newKey()));
    await Promise.all(directories.map((d, i) => d.publish(descriptorFor(`node-${i}`, [keys[i]!]), keys[i]!)));
    await waitFor('every peer connected to every other', () => directories.every((d) => d.connectedPeers().length >= 4));
    await directories[0]!.stop();
    const rest = directories.slice(1);
    await rest[0]!.publish(descriptorFor('node-1', [keys[1]!], { name: 'After the bootstrap peer left' }));
    await waitFor('a change without the bootstrap peer', () => rest.every((d) => d.get('node-1')?.descriptor.name === 'After the bootstrap peer left'));
  });

  test('a peer key keeps the peer id across restarts; bad addresses are refused with the field', async () => {
    const peerKey = await generatePeerKey();
    const a = await createLibp2pDirectory({ peerKey });
    const id = a.peerId;
    await a.stop();
    const b = await createLibp2pDirectory({ peerKey });
    expect(b.peerId).toBe(id);
    expect(b.addresses()[0]).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${id}$`));
    await b.stop();
    await expect(createLibp2pDirectory({ bootstrap: ['/ip4/127.0.0.1/tcp/4001', 'not-a-multiaddr'] })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      issues: [expect.objectContaining({ field: 'bootstrap[1]' })],
    });
  });
});
