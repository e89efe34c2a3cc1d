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

test('a call that throws before returning a promise fails its own site only; no sites settle at once', async () => {
  const outcomes = await fanOut(
    ['throws', 'fine'],
    (site) => {
      if (site === 'throws') throw grpcError(GrpcStatus.INVALID_ARGUMENT, 'bad token');
      return Promise.resolve(site);
    },
    { deadline: new Date(Date.now() + 1000) },
  );
  expect(outcomes.map((o) => (o.ok ? o.value : o.failure.status))).toEqual([SiteStatus.SITE_STATUS_REJECTED, 'fine']);
  const started = Date.now();
  expect(await fanOut([], () => Promise.resolve(1), { deadline: new Date(Date.now() + 60_000) })).toEqual([]);
  expect(Date.now() - started).toBeLessThan(1000);
});

test('an answer after the deadline does not change the outcome reported at the deadline', async () => {
  let late: (value: number) => void = () => undefined;
  const outcomes = await fanOut([1], () => new Promise<number>((resolve) => (late = resolve)), { deadline: new Date(Date.now() + 50) });
  late(7);
  expect(outcomes[0]).toMatchObject({ ok: false, failure: { status: SiteStatus.SITE_STATUS_TIMEOUT } });
});
