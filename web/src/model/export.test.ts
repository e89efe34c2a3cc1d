import type { FederatedCountJson } from '../api/types.js';
import { csvField, toCsv, toResultBundle } from './export.js';

const RESPONSE: FederatedCountJson = {
  queryHash: 'a'.repeat(64),
  canonicalQueryJson: '{"stratify":["sex"],"unit":"donors"}',
  unit: 'donors',
  total: { releasedSum: 60, sitesBelowThreshold: 1, withheldMax: 9, display: 'about 60 + up to 9 more at 1 site below threshold' },
  sites: [
    {
      nodeId: 'a',
      nodeName: 'Site, "A"',
      status: 'SITE_STATUS_OK',
      total: { value: 60, display: 'about 60 (noisy, Laplace ε=0.1, rounded to 10)', disclosure: { kind: 'DISCLOSURE_KIND_NOISY', threshold: 10, rounding: 10, mechanism: 'laplace', epsilon: 0.1 } },
      strata: [{ key: { sex: 'female' }, figure: { display: '<10', disclosure: { kind: 'DISCLOSURE_KIND_BELOW_THRESHOLD', threshold: 10 } } }],
      signedResult: 'x.y.z',
      latencyMs: 12,
      dataEpoch: 3,
      cost: 0.5,
      charged: 0.5,
      budget: { remaining: 1.5, total: 2, windowDays: 30 },
    },
    { nodeId: 'b', nodeName: 'B', status: 'SITE_STATUS_UNREACHABLE', message: 'connect ECONNREFUSED', latencyMs: 3 },
  ],
  strata: [{ key: { sex: 'female' }, total: { releasedSum: 0, sitesBelowThreshold: 1, withheldMax: 9, display: 'at most 9 (1 site below threshold)' } }],
};

describe('toResultBundle', () => {
  test('has the fields biospec verify reads, with each site status in words', () => {
    const bundle = toResultBundle(RESPONSE, { a: { keys: [{ kty: 'OKP' }] } }, new Date('2026-01-02T03:04:05Z'));
    expect(bundle).toEqual({
      version: 1,
      query_hash: 'a'.repeat(64),
      canonical_query: { stratify: ['sex'], unit: 'donors' },
      created_at: '2026-01-02T03:04:05.000Z',
      sites: [
        { node_id: 'a', status: 'ok', signed_result: 'x.y.z' },
        { node_id: 'b', status: 'unreachable' },
      ],
      jwks: { a: { keys: [{ kty: 'OKP' }] } },
    });
  });
});

describe('toCsv', () => {
  test('one row per figure, each with how it was protected; no value where none was released', () => {
    const lines = toCsv(RESPONSE).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'scope,node_id,node_name,status,stratum,display,protection,released_value,threshold,rounding,mechanism,epsilon,latency_ms,data_epoch,cost_epsilon,charged_epsilon,budget_remaining,budget_total,message',
    );
    expect(lines).toHaveLength(6);
    expect(lines[3]).toBe('site,a,"Site, ""A""",ok,,"about 60 (noisy, Laplace ε=0.1, rounded to 10)",noisy,60,10,10,laplace,0.1,12,3,0.5,0.5,1.5,2,');
    expect(lines[4]).toBe('site-stratum,a,"Site, ""A""",ok,sex=female,<10,below threshold,,10,,,,,,,,,,');
    expect(lines[5]).toContain('site,b,B,unreachable');
  });

  test('defuses spreadsheet formulas and quotes what needs quoting', () => {
    expect(csvField('=cmd()')).toBe("'=cmd()");
    expect(csvField('-12')).toBe('-12');
    expect(csvField('a\nb')).toBe('"a\nb"');
  });
});
