import { memoryStorage } from '../testing/memory-storage.js';
import { createHistoryStore, HISTORY_LIMIT } from './history.js';
import { EMPTY_FORM } from './query-form.js';

const entry = (n: number) => ({
  askedAt: `2026-01-0${(n % 9) + 1}T00:00:00Z`,
  form: { ...EMPTY_FORM, project: `p${n}` },
  response: { queryHash: String(n).padStart(64, '0'), canonicalQueryJson: '{"unit":"specimens"}' },
  jwks: {},
});

describe('the history store', () => {
  test('lists newest first, finds by id, and keeps each identity apart', () => {
    const storage = memoryStorage();
    const alice = createHistoryStore(storage, 'iss|alice');
    const bob = createHistoryStore(storage, 'iss|bob');
    const first = alice.add(entry(1));
    alice.add(entry(2));
    expect(alice.list().map((e) => e.form.project)).toEqual(['p2', 'p1']);
    expect(alice.get(first.id)?.form.project).toBe('p1');
    expect(bob.list()).toEqual([]);
  });

  test(`keeps at most ${HISTORY_LIMIT} entries`, () => {
    const store = createHistoryStore(memoryStorage(), 'x');
    for (let i = 0; i < HISTORY_LIMIT + 5; i += 1) store.add(entry(i));
    expect(store.list()).toHaveLength(HISTORY_LIMIT);
    expect(store.list()[0]?.form.project).toBe(`p${HISTORY_LIMIT + 4}`);
  });

  test('drops the oldest entries when the storage is full', () => {
    const size = JSON.stringify([{ id: '0123456789abcdef', ...entry(1) }]).length;
    const store = createHistoryStore(memoryStorage(size * 3), 'x');
    for (let i = 0; i < 6; i += 1) store.add(entry(i));
    const kept = store.list().map((e) => e.form.project);
    expect(kept[0]).toBe('p5');
    expect(kept.length).toBeLessThan(6);
  });

  test('an unreadable history is an empty one', () => {
    const storage = memoryStorage();
    storage.setItem('biospec.history.x', '{not json');
    expect(createHistoryStore(storage, 'x').list()).toEqual([]);
  });
});
