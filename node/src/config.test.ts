import { BiospecError } from '@biospec/protocol';
import { parseNodeConfig } from './config.js';

const minimal = { nodeId: 'site-a', name: 'Site A' };

test('admission and keepalive have defaults, so an existing node.json keeps working', () => {
  const config = parseNodeConfig(minimal, '/srv/node');
  expect(config.admission).toEqual({ concurrent: 64, queued: 1024, perStream: 256 });
  expect(config.keepalive).toEqual({ minPingIntervalMs: 5000 });
});

test('admission limits can be set one by one', () => {
  const config = parseNodeConfig({ ...minimal, admission: { concurrent: 4 } }, '/srv/node');
  expect(config.admission).toEqual({ concurrent: 4, queued: 1024, perStream: 256 });
});

test('a bad admission limit is reported with its field', () => {
  let caught: unknown;
  try {
    parseNodeConfig({ ...minimal, admission: { concurrent: 0, queues: 3 } }, '/srv/node');
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(BiospecError);
  const fields = (caught as BiospecError).issues.map((i) => i.field);
  expect(fields).toEqual(expect.arrayContaining(['admission.concurrent', 'admission']));
});
