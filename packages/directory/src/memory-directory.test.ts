import { directoryComplianceSuite } from './directory-compliance.js';
import { createMemoryBus, createMemoryDirectory } from './memory-directory.js';
import { descriptorFor, newKey, payloadOf, b64 } from './test-support.js';

directoryComplianceSuite('in-memory bus', async (size, optionsFor) => {
  const bus = createMemoryBus();
  const directories = await Promise.all(Array.from({ length: size }, (_, i) => createMemoryDirectory({ bus, ...optionsFor(i) })));
  return {
    directories,
    async join(options) {
      const directory = await createMemoryDirectory({ bus, ...options });
      directories.push(directory);
      return directory;
    },
    async inject(data, from = 'attacker') {
      await bus.inject(data, from);
    },
    async stop() {
      await Promise.all(directories.map((d) => d.stop()));
    },
  };
});

test('the bus records the verdicts each sender earned, as gossipsub scoring would', async () => {
  const bus = createMemoryBus();
  const [a, b] = await Promise.all([createMemoryDirectory({ bus, peerId: 'a' }), createMemoryDirectory({ bus, peerId: 'b' })]);
  const key = await newKey();
  const entry = await a.publish(descriptorFor('node-a', [key]), key);
  const [header, , signature] = entry.token.split('.');
  await bus.inject(`${header}.${b64({ ...payloadOf(entry.token), name: 'Forged' })}.${signature}`, 'mallory');
  expect(bus.verdictsFrom('a').map((v) => v.action)).toEqual(['accept']);
  expect(bus.verdictsFrom('mallory')).toEqual([
    expect.objectContaining({ action: 'reject', reason: 'bad-signature' }),
    expect.objectContaining({ action: 'reject', reason: 'bad-signature' }),
  ]);
  expect(b.get('node-a')?.descriptor.name).toBe('Biobank node-a');
  await Promise.all([a.stop(), b.stop()]);
  expect(bus.members()).toEqual([]);
});

test('publishing needs a signing key, and a stopped directory publishes nothing', async () => {
  const bus = createMemoryBus();
  const directory = await createMemoryDirectory({ bus });
  const key = await newKey();
  await expect(directory.publish(descriptorFor('node-a', [key]))).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  await directory.stop();
  await directory.stop();
  await expect(directory.publish(descriptorFor('node-a', [key]), key)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
});

test('a function source is read again at every re-announcement, so a change goes out without another publish', async () => {
  const bus = createMemoryBus();
  const [a, b] = await Promise.all([createMemoryDirectory({ bus, refreshIntervalMs: 50 }), createMemoryDirectory({ bus })]);
  const key = await newKey();
  let epoch = 1;
  await a.publish(() => descriptorFor('node-a', [key], { dataEpoch: epoch }), key);
  epoch = 2;
  const deadline = Date.now() + 10_000;
  while (b.get('node-a')?.descriptor.dataEpoch !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(b.get('node-a')?.descriptor.dataEpoch).toBe(2);
  await Promise.all([a.stop(), b.stop()]);
});
