import { BiospecError } from '@biospec/protocol';
import { parseCoordinatorConfig } from './config.js';

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
