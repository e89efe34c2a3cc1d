import { BiospecError } from '@biospec/protocol';
import { createAuditLog } from '@biospec/trust';
import { createPreAuthRefusals } from './pre-auth-refusals.js';

describe('refusals before a token verifies', () => {
  test('a flood from one peer costs the audit log two entries per window, and every refusal is counted', async () => {
    const audit = createAuditLog(':memory:');
    let clock = 0;
    const refusals = createPreAuthRefusals({ audit, windowMs: 60_000, now: () => clock });
    for (let i = 0; i < 1000; i++) await refusals.record('10.0.0.7', new BiospecError('UNAUTHENTICATED', 'not a JWS'));
    await refusals.record('10.0.0.7', new BiospecError('PERMISSION_DENIED', 'wrong audience'));
    await refusals.record('10.0.0.8', new BiospecError('UNAUTHENTICATED', 'not a JWS'));
    clock = 61_000;
    await refusals.flush();
    const entries = audit.list({ limit: 100 });
    expect(entries).toHaveLength(3);
    const summary = entries.find((e) => e.kind === 'refusals');
    expect(summary?.actor).toBe('10.0.0.7');
    expect(summary?.detail).toMatchObject({ count: 1000, codes: { UNAUTHENTICATED: 999, PERMISSION_DENIED: 1 } });
    expect(entries.filter((e) => e.kind === 'refusal').map((e) => e.actor).sort()).toEqual(['10.0.0.7', '10.0.0.8']);
    audit.close();
  });

  test('peers beyond the limit share one window instead of growing memory', async () => {
    const audit = createAuditLog(':memory:');
    const refusals = createPreAuthRefusals({ audit, maxPeers: 2, now: () => 0 });
    for (let i = 0; i < 50; i++) await refusals.record(`10.0.1.${i}`, new BiospecError('UNAUTHENTICATED', 'x'));
    await refusals.flush(true);
    const entries = audit.list({ limit: 100 });
    expect(entries.filter((e) => e.kind === 'refusal')).toHaveLength(3);
    expect(entries.find((e) => e.kind === 'refusals')?.detail).toMatchObject({ count: 47 });
    audit.close();
  });
});
