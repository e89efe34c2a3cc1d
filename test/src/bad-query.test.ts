import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { startExactFederation, type ExactFederation } from './harness/exact-federation.js';

let fed: ExactFederation;

beforeAll(async () => {
  fed = await startExactFederation({ donorsPerSite: 50 });
}, 60_000);

afterAll(async () => {
  await fed?.stop();
});

const bomb = (depth: number) => {
  let expr: unknown = { op: 'in', field: 'sex', values: ['female'] };
  for (let i = 0; i < depth; i++) expr = { op: 'not', arg: expr };
  return { unit: 'specimens', where: expr };
};

const CASES: [string, unknown, RegExp][] = [
  ['an unknown field', { unit: 'specimens', where: { op: 'in', field: 'blood_group', values: ['A'] } }, /field/],
  ['a wrong type', { unit: 'specimens', where: { op: 'age_range', min: 'forty' } }, /where\.min|number/],
  ['an empty or', { unit: 'specimens', where: { op: 'or', args: [] } }, /where\.args/],
  ['an unknown unit', { unit: 'litres' }, /unit/],
  ['an unknown key', { unit: 'specimens', sql: 'select * from specimens' }, /sql/],
  ['a material outside the vocabulary', { unit: 'specimens', where: { op: 'in', field: 'material_type', values: ['blood'] } }, /blood/],
  ['a deep nesting bomb', bomb(200), /depth|deep|nest/i],
];

test.each(CASES)('REST: %s is refused with 400 and a message that points at it', async (_name, query, pointer) => {
  const { status, body } = await fed.rest('/api/v1/count', { query, purpose: 'DUO:0000006', project: 'p' });
  expect(status).toBe(400);
  expect(body.error.code).toBe('INVALID_QUERY');
  expect(JSON.stringify(body.error)).toMatch(pointer);
});

test.each(CASES)('gRPC: %s is refused with INVALID_ARGUMENT', async (_name, query, pointer) => {
  const err = await fed.grpcCount({ queryJson: JSON.stringify(query), purpose: 'DUO:0000006', project: 'p' }).then(
    () => {
      throw new Error('accepted');
    },
    (e: ServiceError) => e,
  );
  expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  expect(err.details).toMatch(pointer);
});

test('a JSON bomb far past the depth limit is refused without crashing anything', async () => {
  const text = `{"unit":"specimens","where":${'{"op":"not","arg":'.repeat(100_000)}{}${'}'.repeat(100_000)}}`;
  const grpc = await fed.grpcCount({ queryJson: text, purpose: 'DUO:0000006', project: 'p' }).catch((e: ServiceError) => e);
  expect((grpc as ServiceError).code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
  const { status } = await fed.rest('/api/v1/count', `{"query":${text},"purpose":"DUO:0000006","project":"p"}`);
  expect(status).toBe(413);
  const after = await fed.rest('/api/v1/count', { query: { unit: 'donors' }, purpose: 'DUO:0000006', project: 'p' });
  expect(after.status).toBe(200);
});

test('anonymous and forged researchers are refused', async () => {
  const anonymous = await fed.rest('/api/v1/count', { query: { unit: 'donors' }, purpose: 'DUO:0000006', project: 'p' }, '');
  expect(anonymous.status).toBe(401);
  expect(anonymous.body.error.message).toMatch(/no bearer token/);
  const [h, p] = fed.federation.token.split('.');
  const forged = await fed.rest('/api/v1/count', { query: { unit: 'donors' }, purpose: 'DUO:0000006', project: 'p' }, `${h}.${p}.AAAA`);
  expect(forged.status).toBe(401);
  const grpc = await fed.grpcCount({ queryJson: '{"unit":"donors"}', purpose: 'DUO:0000006', project: 'p' }, '').catch((e: ServiceError) => e);
  expect((grpc as ServiceError).code).toBe(GrpcStatus.UNAUTHENTICATED);
});

test('an unknown research purpose and a missing project are refused with the field named', async () => {
  const purpose = await fed.rest('/api/v1/count', { query: { unit: 'donors' }, purpose: 'DUO:9999999', project: 'p' });
  expect(purpose.status).toBe(400);
  expect(purpose.body.error.issues[0].field).toBe('purpose');
  const project = await fed.rest('/api/v1/count', { query: { unit: 'donors' }, purpose: 'DUO:0000006', project: ' ' });
  expect(project.status).toBe(400);
  expect(project.body.error.issues[0].field).toBe('project');
});
