/**
 * One test suite for every AuditStore (SQLite, PostgreSQL): each runs it with a factory of empty
 * stores signed with `key`, and `tamper` to edit a stored entry behind the store's back.
 */
import { GENESIS_HASH, type AuditEntry } from '../audit-log.js';
import type { AuditStore } from '../audit-store.js';
import { createKeyRing, generateSigningKey, importSigningKey, type SigningKey } from '../keys.js';

export interface AuditStoreHarness {
  /** A store over empty storage whose checkpoints `key` signs as log `logId`. */
  open(key: SigningKey, logId: string): Promise<AuditStore>;
  /** A second store over the same storage, as another process would open it (optional). */
  openAnother?: (key: SigningKey, logId: string) => Promise<AuditStore>;
  /** Sets the `outcome` of entry `seq` directly in storage, as someone with write access could. */
  tamper(seq: number, outcome: string): Promise<void>;
}

export function auditStoreCompliance(name: string, harness: AuditStoreHarness): void {
  describe(`audit store compliance: ${name}`, () => {
    let key: SigningKey;
    let store: AuditStore;
    beforeAll(async () => {
      key = await importSigningKey((await generateSigningKey({ kid: 'audit-1' })).privateJwk);
    });
    beforeEach(async () => {
      store = await harness.open(key, 'coordinator');
    });
    afterEach(async () => {
      await store.close();
    });
    const ring = () => createKeyRing([key.publicJwk]);

    test('entries are chained in order, listed both ways and paged', async () => {
      const recorded: AuditEntry[] = [];
      for (let i = 1; i <= 5; i++) recorded.push(await store.record({ kind: 'federated-query', actor: `r-${i}`, outcome: 'answered', detail: { i, nested: { b: 1, a: [2] } } }));
      expect(recorded.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(recorded[0]!.prev_hash).toBe(GENESIS_HASH);
      expect(recorded[1]!.prev_hash).toBe(recorded[0]!.hash);
      expect((await store.list()).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect((await store.list({ order: 'desc', limit: 2 })).map((e) => e.seq)).toEqual([5, 4]);
      expect((await store.list({ order: 'desc', limit: 2, beforeSeq: 4 })).map((e) => e.seq)).toEqual([3, 2]);
      expect((await store.list({ sinceSeq: 3 })).map((e) => e.seq)).toEqual([4, 5]);
      expect((await store.list({ kind: 'other' })).length).toBe(0);
      expect(await store.size()).toEqual({ entries: 5, lastSeq: 5 });
      expect((await store.list())[2]).toEqual(recorded[2]);
      expect(recorded[4]!.detail).toEqual({ i: 5, nested: { b: 1, a: [2] } });
    });

    test('entries recorded at once all commit, each after the one before', async () => {
      const entries = await Promise.all(Array.from({ length: 40 }, (_, i) => store.record({ kind: 'access', outcome: 'ok', subject: `s-${i}` })));
      expect(entries.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      const report = await store.verify(await ring(), { logId: 'coordinator', headFile: null });
      expect(report.chain).toEqual({ ok: true, entries: 40 });
    });

    test('a signed checkpoint anchors the head; the log verifies, and an edited entry is found', async () => {
      for (let i = 0; i < 3; i++) await store.record({ kind: 'federated-query', outcome: 'answered' });
      expect(await store.checkpoint()).toBe(3);
      const report = await store.verify(await ring(), { logId: 'coordinator', headFile: null });
      expect(report.problems.filter((p) => p.kind !== 'head-missing')).toEqual([]);
      expect(report.head).toMatchObject({ seq: 3, kid: 'audit-1' });
      await harness.tamper(2, 'rejected');
      const tampered = await store.verify(await ring(), { logId: 'coordinator', headFile: null });
      expect(tampered.ok).toBe(false);
      expect(tampered.problems[0]).toMatchObject({ kind: 'edited', fromSeq: 2 });
    });

    if (harness.openAnother) {
      const openAnother = harness.openAnother;
      test('two stores over the same storage (two processes) append to one chain', async () => {
        const other = await openAnother(key, 'coordinator');
        try {
          await Promise.all(
            Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? store : other).record({ kind: 'federated-query', outcome: 'answered', subject: `q-${i}` })),
          );
          expect(await other.size()).toEqual({ entries: 30, lastSeq: 30 });
          const report = await store.verify(await ring(), { logId: 'coordinator', headFile: null });
          expect(report.chain).toEqual({ ok: true, entries: 30 });
        } finally {
          await other.close();
        }
      });
    }
  });
}
