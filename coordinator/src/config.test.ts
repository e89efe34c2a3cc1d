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
