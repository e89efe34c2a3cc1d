import { FederatedCountResponse, SiteStatus, type SiteResult } from '@biospec/protocol';
import { formatFederatedResult } from './format-result.js';

const site = (overrides: Partial<SiteResult>): SiteResult => ({
  nodeId: 'site',
  nodeName: 'Site',
  status: SiteStatus.SITE_STATUS_OK,
  message: '',
  strata: [],
  latencyMs: 3,
  signedResult: '',
  dataEpoch: 0,
  cost: 0,
  charged: 0,
  retryAfterMs: 0,
  ...overrides,
});

test('busy and warming-up sites get their own status and the retry hint, apart from timeouts and unreachable ones', () => {
  const response: FederatedCountResponse = {
    queryHash: 'a'.repeat(64),
    canonicalQueryJson: '{"unit":"specimens"}',
    unit: 'specimens',
    sites: [
      site({ nodeId: 'busy-site', status: SiteStatus.SITE_STATUS_BUSY, message: 'BUSY: node busy: 1024 questions already waiting', retryAfterMs: 250 }),
      site({ nodeId: 'warm-site', status: SiteStatus.SITE_STATUS_WARMING_UP, message: 'count index warming up', retryAfterMs: 1500 }),
      site({ nodeId: 'cold-site', status: SiteStatus.SITE_STATUS_WARMING_UP, message: 'count index warming up' }),
      site({ nodeId: 'slow-site', status: SiteStatus.SITE_STATUS_TIMEOUT, message: 'no answer within the deadline' }),
      site({ nodeId: 'gone-site', status: SiteStatus.SITE_STATUS_UNREACHABLE, message: 'Connection dropped' }),
    ],
    strata: [],
    elapsedMs: 10,
  };
  const rows = formatFederatedResult(response).split('\n');
  const row = (id: string) => rows.find((r) => r.startsWith(id))!.replace(/\s+/g, ' ');
  expect(row('busy-site')).toBe('busy-site Site busy 3 ms node busy; retry in 250 ms');
  expect(row('warm-site')).toBe('warm-site Site warming up 3 ms count index warming up; retry in 1.5 s');
  expect(row('cold-site')).toBe('cold-site Site warming up 3 ms count index warming up');
  expect(row('slow-site')).toBe('slow-site Site timeout 3 ms no answer within the deadline');
  expect(row('gone-site')).toBe('gone-site Site unreachable 3 ms Connection dropped');
});
