import { BiospecError } from '@biospec/protocol';
import { parseCoordinatorConfig } from './config.js';

function problems(input: unknown, env: Record<string, string> = {}): BiospecError {
  try {
    parseCoordinatorConfig(input, '/srv/coordinator', env);
  } catch (err) {
    return err as BiospecError;
  }
  throw new Error('expected an invalid config');
}

test('every problem at once, each with the full path of its field; unknown keys named', () => {
  const err = problems({ grpcListen: 'x', nodes: [{ id: 'a', name: 'A', endpoint: 'nowhere', jwks: 'a.json', colour: 'red' }], rateLimits: [{ limit: 0, windowSeconds: 1 }] });
  expect(err.code).toBe('INVALID_CONFIG');
  expect(err.issues.map((i) => i.field).sort()).toEqual(['grpcListen', 'nodes.0.colour', 'nodes.0.endpoint', 'rateLimits.0.limit']);
});

test('environment variables set listen addresses, log level and paths', () => {
  const config = parseCoordinatorConfig({ httpListen: '127.0.0.1:1' }, '/srv/coordinator', {
    BIOSPEC_COORDINATOR_HTTP_LISTEN: '0.0.0.0:8080',
    BIOSPEC_COORDINATOR_GRPC_LISTEN: '0.0.0.0:50050',
    BIOSPEC_COORDINATOR_LOG_LEVEL: 'debug',
    BIOSPEC_COORDINATOR_STATE_DIR: 'var',
  });
  expect(config).toMatchObject({ httpListen: '0.0.0.0:8080', grpcListen: '0.0.0.0:50050', logLevel: 'debug', stateDir: '/srv/coordinator/var' });
  expect(problems({}, { BIOSPEC_COORDINATOR_HTTP_LISTEN: 'everywhere' }).issues).toEqual([
    { field: 'httpListen', message: 'host:port (from BIOSPEC_COORDINATOR_HTTP_LISTEN)' },
  ]);
});


const member = { id: 'hospital', name: 'Hospital', jwks: 'nodes/hospital.jwks.json' };

const issuesOf = (input: unknown) => {
  try {
    parseCoordinatorConfig(input, '/srv/coordinator');
  } catch (err) {
    return (err as BiospecError).issues.map((i) => `${i.field}: ${i.message}`);
  }
  return [];
};

test('a member may be connect-out, given a listener for it to dial', () => {
  const config = parseCoordinatorConfig({ nodeConnect: { listen: '0.0.0.0:50052' }, nodes: [{ ...member, endpoint: 'connect-out' }] }, '/srv/coordinator');
  expect(config.nodes[0]!.endpoint).toBe('connect-out');
  expect(config.nodeConnect).toEqual({ listen: '0.0.0.0:50052', proofTimeoutMs: 10_000 });
  expect(issuesOf({ nodes: [{ ...member, endpoint: 'connect-out' }] })).toEqual(['nodes.0.endpoint: a connect-out node needs nodeConnect.listen, where it dials in']);
  expect(issuesOf({ nodes: [{ ...member, endpoint: 'nowhere' }] })).toEqual(['nodes.0.endpoint: host:port or connect-out']);
});

test('mutual TLS with the nodes needs the CA that signed their certificates', () => {
  expect(issuesOf({ nodeConnect: { listen: '0.0.0.0:50052', tls: { cert: 'c.pem', key: 'k.pem', requireClientCert: true } } })).toEqual([
    'nodeConnect.tls.ca: requireClientCert needs ca: the CA whose client certificates are accepted',
  ]);
});
