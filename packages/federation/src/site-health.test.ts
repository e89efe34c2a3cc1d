import { SiteStatus } from '@biospec/protocol';
import { createSiteHealthTracker } from './site-health.js';

describe('the site health tracker', () => {
  test('summarises the calls within the window: last seen, error rate, latency quantiles, statuses', () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const tracker = createSiteHealthTracker({ windowMs: 60_000, now: () => clock });
    for (const latency of [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]) tracker.record('a', SiteStatus.SITE_STATUS_OK, latency);
    clock += 1000;
    tracker.record('a', SiteStatus.SITE_STATUS_BUSY, 5);
    clock += 1000;
    tracker.record('a', SiteStatus.SITE_STATUS_UNREACHABLE, 3);
    tracker.record('a', SiteStatus.SITE_STATUS_TIMEOUT, 5000);
    expect(tracker.health('a')).toEqual({
      nodeId: 'a',
      lastStatus: SiteStatus.SITE_STATUS_TIMEOUT,
      lastSeenAt: '2026-01-01T00:00:01.000Z',
      calls: 13,
      errorRate: 2 / 13,
      latencyP50Ms: 50,
      latencyP95Ms: 100,
      byStatus: { [SiteStatus.SITE_STATUS_OK]: 10, [SiteStatus.SITE_STATUS_BUSY]: 1, [SiteStatus.SITE_STATUS_UNREACHABLE]: 1, [SiteStatus.SITE_STATUS_TIMEOUT]: 1 },
    });
  });

  test('forgets calls older than the window but not when the node was last seen', () => {
    let clock = 0;
    const tracker = createSiteHealthTracker({ windowMs: 1000, now: () => clock });
    tracker.record('a', SiteStatus.SITE_STATUS_OK, 12);
    clock = 5000;
    const health = tracker.health('a');
    expect(health.calls).toBe(0);
    expect(health.errorRate).toBeNull();
    expect(health.latencyP50Ms).toBeNull();
    expect(health.lastSeenAt).toBe(new Date(0).toISOString());
    expect(health.lastStatus).toBe(SiteStatus.SITE_STATUS_OK);
  });

  test('a node never asked has no figures', () => {
    expect(createSiteHealthTracker().health('never')).toMatchObject({ lastStatus: undefined, lastSeenAt: null, calls: 0, errorRate: null });
  });

  test('keeps at most maxSamples calls per node', () => {
    const tracker = createSiteHealthTracker({ maxSamples: 3 });
    for (let i = 0; i < 5; i += 1) tracker.record('a', SiteStatus.SITE_STATUS_OK, i);
    expect(tracker.health('a').calls).toBe(3);
    expect(tracker.health('a').latencyP50Ms).toBe(3);
  });
});
