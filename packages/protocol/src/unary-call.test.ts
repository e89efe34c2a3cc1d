import { status, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { BiospecError } from './errors.js';
import { unaryCall } from './unary-call.js';

const call = { request: { n: 2 } } as unknown as ServerUnaryCall<{ n: number }, { twice: number }>;
const settled = () => new Promise((resolve) => setImmediate(resolve));

test('the response, or the error as its gRPC status, goes to the callback', async () => {
  const answers: Record<string, unknown> = {};
  unaryCall<{ n: number }, { twice: number }>(async (c) => ({ twice: c.request.n * 2 }), () => undefined)(call, (err, res) => (answers.ok = err ?? res));
  unaryCall<{ n: number }, { twice: number }>(() => {
    throw new BiospecError('INVALID_QUERY', 'bad');
  }, () => undefined)(call, (err) => (answers.refused = err));
  await settled();
  expect(answers.ok).toEqual({ twice: 4 });
  expect((answers.refused as ServiceError).code).toBe(status.INVALID_ARGUMENT);
});

test('a callback that throws goes to onFault, not to an unhandled rejection', async () => {
  const faults: unknown[] = [];
  const failing = () => {
    throw new Error('call already ended');
  };
  unaryCall<{ n: number }, { twice: number }>(async () => ({ twice: 1 }), (err) => faults.push(err))(call, failing);
  unaryCall<{ n: number }, { twice: number }>(async () => Promise.reject(new Error('no')), (err) => faults.push(err))(call, failing);
  await settled();
  expect(faults.map((f) => (f as Error).message)).toEqual(['call already ended', 'call already ended']);
});
