import { BiospecError, SiteStatus } from '@biospec/protocol';
import type { SiteFailure } from '@biospec/federation';
import { refuseWhenEveryoneLimited } from './federated-count.js';

const rejected = (id: string, reason: SiteFailure['reason'], retryAfterMs?: number) => ({
  ok: false,
  site: { id },
  failure: { status: SiteStatus.SITE_STATUS_REJECTED, message: `${reason}: refused`, ...(reason ? { reason } : {}), ...(retryAfterMs ? { retryAfterMs } : {}) },
});

function refusal(outcomes: Parameters<typeof refuseWhenEveryoneLimited>[0]): BiospecError | undefined {
  try {
    refuseWhenEveryoneLimited(outcomes);
    return undefined;
  } catch (error) {
    return error as BiospecError;
  }
}

test('every site out of budget: BUDGET_EXHAUSTED with the earliest hint', () => {
  const error = refusal([rejected('a', 'BUDGET_EXHAUSTED', 86_400_000), rejected('b', 'BUDGET_EXHAUSTED', 3_600_000)]);
  expect(error).toBeInstanceOf(BiospecError);
  expect(error?.code).toBe('BUDGET_EXHAUSTED');
  expect(error?.retryAfterMs).toBe(3_600_000);
});

test('a mix of rate limits and budgets is RATE_LIMITED', () => {
  expect(refusal([rejected('a', 'BUDGET_EXHAUSTED', 5000), rejected('b', 'RATE_LIMITED', 9000)])?.code).toBe('RATE_LIMITED');
});

test('any other outcome keeps the per-site answer', () => {
  expect(refusal([])).toBeUndefined();
  expect(refusal([rejected('a', 'RATE_LIMITED', 1000), { ok: true, site: { id: 'b' } }])).toBeUndefined();
  expect(refusal([rejected('a', 'RATE_LIMITED', 1000), rejected('b', 'PERMISSION_DENIED')])).toBeUndefined();
  expect(refusal([rejected('a', 'RATE_LIMITED', 1000), rejected('b', undefined)])).toBeUndefined();
});
