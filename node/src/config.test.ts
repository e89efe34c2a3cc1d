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

const issuesOf = (input: unknown) => {
  try {
    parseNodeConfig(input, '/srv/node');
  } catch (err) {
    return (err as BiospecError).issues.map((i) => `${i.field}: ${i.message}`);
  }
  return [];
};

test('connectOut is the one key a node with no inbound port needs: it then listens nowhere unless told to', () => {
  expect(parseNodeConfig(minimal, '/srv/node').listen).toBe('127.0.0.1:50051');
  const out = parseNodeConfig({ ...minimal, connectOut: { coordinator: 'coordinator.example.org:50052' } }, '/srv/node');
  expect(out.listen).toBeNull();
  expect(out.connectOut).toEqual({
    coordinator: 'coordinator.example.org:50052',
    keepalive: { timeMs: 5000, timeoutMs: 5000 },
    backoff: { initialMs: 1000, maxMs: 30_000 },
  });
  // Both ways at once: an address to be asked at, and a connection out.
  const both = parseNodeConfig({ ...minimal, listen: '0.0.0.0:50051', connectOut: { coordinator: 'c:1', tls: { ca: 'ca.pem' } } }, '/srv/node');
  expect(both.listen).toBe('0.0.0.0:50051');
  expect(both.connectOut?.tls).toEqual({ ca: '/srv/node/ca.pem' });
});

test('a node nobody could ask, or half a client certificate, is refused with its field', () => {
  expect(issuesOf({ ...minimal, listen: null })).toEqual(['listen: a node with no listening port needs connectOut, or nobody can ask it anything']);
  expect(issuesOf({ ...minimal, connectOut: { coordinator: 'c:1', tls: { cert: 'node.pem' } } })).toEqual(['connectOut.tls: cert and key go together (mutual TLS)']);
  expect(issuesOf({ ...minimal, connectOut: { coordinator: 'no-port' } })).toEqual(['connectOut.coordinator: host:port']);
});
