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
  expect(fields).toEqual(expect.arrayContaining(['admission.concurrent', 'admission.queues']));
});

test('every problem at once, the policy\'s too, each with the full path of its field', () => {
  let caught: BiospecError | undefined;
  try {
    parseNodeConfig({ ...minimal, listen: 'nowhere', policy: { rounding: 0, noise: { mechanism: 'laplace', epsilon: 'lots' }, budgett: {} } }, '/srv/node');
  } catch (err) {
    caught = err as BiospecError;
  }
  expect(caught?.code).toBe('INVALID_CONFIG');
  expect(caught?.issues.map((i) => i.field).sort()).toEqual(['listen', 'policy.budgett', 'policy.noise.epsilon', 'policy.rounding']);
});

test('environment variables set the keys container platforms set; a bad value names its variable', () => {
  const config = parseNodeConfig({ ...minimal, listen: '127.0.0.1:1' }, '/srv/node', {
    BIOSPEC_NODE_LISTEN: '0.0.0.0:50051',
    BIOSPEC_NODE_HTTP_LISTEN: '0.0.0.0:9464',
    BIOSPEC_NODE_LOG_LEVEL: 'warn',
    BIOSPEC_NODE_STATE_DIR: '/var/lib/biospec/state',
    BIOSPEC_NODE_CATALOGUE: 'data/catalogue.db',
    BIOSPEC_NODE_SIGNING_KEY: '',
  });
  expect(config).toMatchObject({
    listen: '0.0.0.0:50051',
    httpListen: '0.0.0.0:9464',
    logLevel: 'warn',
    stateDir: '/var/lib/biospec/state',
    catalogue: '/srv/node/data/catalogue.db',
    // An empty variable is no override.
    signingKey: '/srv/node/node-key.jwk.json',
  });
  let caught: BiospecError | undefined;
  try {
    parseNodeConfig(minimal, '/srv/node', { BIOSPEC_NODE_LOG_LEVEL: 'loud' });
  } catch (err) {
    caught = err as BiospecError;
  }
  expect(caught?.issues).toEqual([{ field: 'logLevel', message: expect.stringMatching(/\(from BIOSPEC_NODE_LOG_LEVEL\)$/) }]);
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
