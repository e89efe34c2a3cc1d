import { status as GrpcStatus } from '@grpc/grpc-js';
import { SiteStatus } from '@biospec/protocol';
import { fanOut } from './fan-out.js';

const grpcError = (code: number, details: string) => Object.assign(new Error(details), { code, details });

test('each site settles on its own, a hung call becomes a timeout at the deadline', async () => {
  const started = Date.now();
  const outcomes = await fanOut(
    ['fast', 'down', 'refuses', 'hangs'],
    async (site) => {
      if (site === 'fast') return 42;
      if (site === 'down') throw grpcError(GrpcStatus.UNAVAILABLE, 'connect ECONNREFUSED');
      if (site === 'refuses') throw grpcError(GrpcStatus.UNAUTHENTICATED, 'UNAUTHENTICATED: token expired');
      return new Promise<number>(() => undefined);
    },
    { deadline: new Date(Date.now() + 200) },
  );
  const elapsed = Date.now() - started;
  expect(elapsed).toBeLessThan(1000);
  expect(outcomes.map((o) => (o.ok ? o.value : o.failure.status))).toEqual([
    42,
    SiteStatus.SITE_STATUS_UNREACHABLE,
    SiteStatus.SITE_STATUS_REJECTED,
    SiteStatus.SITE_STATUS_TIMEOUT,
  ]);
  const refused = outcomes[2];
  expect(refused?.ok === false && refused.failure.message).toBe('UNAUTHENTICATED: token expired');
});

test('a deadline error from the client maps to timeout, anything unknown to error', async () => {
  const outcomes = await fanOut(
    [1, 2],
    async (n) => {
      throw n === 1 ? grpcError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded') : new Error('boom');
    },
    { deadline: new Date(Date.now() + 1000) },
  );
  expect(outcomes.map((o) => (o.ok ? 'ok' : o.failure.status))).toEqual([SiteStatus.SITE_STATUS_TIMEOUT, SiteStatus.SITE_STATUS_ERROR]);
});
