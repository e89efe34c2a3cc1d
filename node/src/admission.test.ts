import { BiospecError } from '@biospec/protocol';
import { createAdmission, type DropReason } from './admission.js';

/** Work the test finishes by hand, on a clock the test moves. */
function setup(limits: { concurrent: number; queued: number }) {
  let clock = 0;
  const finishers: (() => void)[] = [];
  const startedWork: string[] = [];
  const drops: DropReason[] = [];
  const admission = createAdmission({ limits, now: () => clock, onDropped: (reason) => drops.push(reason) });
  const work = (name: string) => () =>
    new Promise<string>((resolve) => {
      startedWork.push(name);
      finishers.push(() => resolve(name));
    });
  return {
    admission,
    startedWork,
    drops,
    work,
    advance: (ms: number) => (clock += ms),
    at: (ms: number) => new Date(clock + ms),
    /** Finishes the oldest running work and lets the admission start the next. */
    async finishOne() {
      finishers.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

async function refusalOf(promise: Promise<unknown>): Promise<BiospecError> {
  try {
    await promise;
  } catch (err) {
    return err as BiospecError;
  }
  throw new Error('expected a refusal');
}

test('questions run up to the concurrency limit, then wait their turn in arrival order', async () => {
  const t = setup({ concurrent: 2, queued: 10 });
  const answers = ['a', 'b', 'c', 'd'].map((name) => t.admission.run(t.work(name), { deadline: t.at(60_000) }));
  await flush();
  expect(t.startedWork).toEqual(['a', 'b']);
  expect(t.admission.stats()).toMatchObject({ running: 2, queued: 2 });
  await t.finishOne();
  expect(t.startedWork).toEqual(['a', 'b', 'c']);
  await t.finishOne();
  await t.finishOne();
  await t.finishOne();
  await expect(Promise.all(answers)).resolves.toEqual(['a', 'b', 'c', 'd']);
  expect(t.admission.stats()).toMatchObject({ started: 4, running: 0, queued: 0, refusedBusy: 0 });
});

test('a question that would wait past its deadline is refused at once as BUSY, with a retry hint from the measured cost', async () => {
  const t = setup({ concurrent: 1, queued: 100 });
  // One question that took 100 ms teaches the admission what a question costs.
  const first = t.admission.run(t.work('first'));
  await flush();
  t.advance(100);
  await t.finishOne();
  await first;
  expect(t.admission.stats().costMs).toBe(100);

  t.admission.run(t.work('running'), { deadline: t.at(10_000) }).catch(() => undefined);
  t.admission.run(t.work('waiting'), { deadline: t.at(10_000) }).catch(() => undefined);
  await flush();
  // Ahead of a newcomer: one waiting (100 ms) and then its own turn (100 ms) and its own cost (100 ms).
  const tooShort = await refusalOf(t.admission.run(t.work('hurried'), { deadline: t.at(250) }));
  expect(tooShort.code).toBe('BUSY');
  expect(tooShort.retryAfterMs).toBe(200);
  await expect(Promise.race([t.admission.run(t.work('patient'), { deadline: t.at(400) }).then(() => 'answered'), flush().then(() => 'queued')])).resolves.toBe('queued');
  expect(t.admission.stats()).toMatchObject({ refusedBusy: 1, queued: 2 });
  expect(t.startedWork).toEqual(['first', 'running']);
});

test('a full queue refuses at once, whatever the deadline', async () => {
  const t = setup({ concurrent: 1, queued: 1 });
  t.admission.run(t.work('a')).catch(() => undefined);
  t.admission.run(t.work('b')).catch(() => undefined);
  const refused = await refusalOf(t.admission.run(t.work('c')));
  expect(refused.code).toBe('BUSY');
  expect(refused.message).toMatch(/1 questions already waiting/);
  expect(refused.retryAfterMs).toBeGreaterThan(0);
});

test('a waiting question whose deadline passes is dropped before its work starts', async () => {
  const t = setup({ concurrent: 1, queued: 10 });
  t.admission.run(t.work('slow')).catch(() => undefined);
  const late = t.admission.run(t.work('late'), { deadline: t.at(50) });
  const onTime = t.admission.run(t.work('on-time'), { deadline: t.at(5000) });
  await flush();
  t.advance(60);
  await t.finishOne();
  const dropped = await refusalOf(late);
  expect(dropped.code).toBe('DEADLINE_EXCEEDED');
  expect(t.startedWork).toEqual(['slow', 'on-time']);
  await t.finishOne();
  await expect(onTime).resolves.toBe('on-time');
  expect(t.drops).toEqual(['deadline']);
  expect(t.admission.stats()).toMatchObject({ droppedExpired: 1, started: 2 });
});

test('questions whose caller went away are dropped from the queue at once and never started', async () => {
  const t = setup({ concurrent: 1, queued: 10 });
  const caller = new AbortController();
  t.admission.run(t.work('running'), { signal: caller.signal }).catch(() => undefined);
  const waiting = ['w1', 'w2', 'w3'].map((name) => t.admission.run(t.work(name), { signal: caller.signal }));
  const other = t.admission.run(t.work('other'));
  await flush();
  caller.abort();
  for (const w of waiting) expect((await refusalOf(w)).code).toBe('UNAVAILABLE');
  expect(t.admission.stats()).toMatchObject({ droppedCancelled: 3, queued: 1 });
  expect(t.drops).toEqual(['cancelled', 'cancelled', 'cancelled']);
  await t.finishOne();
  await t.finishOne();
  await expect(other).resolves.toBe('other');
  expect(t.startedWork).toEqual(['running', 'other']);
});

test('a question already past its deadline, or from a caller already gone, is never started', async () => {
  const t = setup({ concurrent: 4, queued: 10 });
  expect((await refusalOf(t.admission.run(t.work('expired'), { deadline: t.at(0) }))).code).toBe('DEADLINE_EXCEEDED');
  const gone = new AbortController();
  gone.abort();
  expect((await refusalOf(t.admission.run(t.work('gone'), { signal: gone.signal }))).code).toBe('UNAVAILABLE');
  expect(t.startedWork).toEqual([]);
  expect(t.drops).toEqual(['deadline', 'cancelled']);
});

test('a failing question frees its slot like an answered one', async () => {
  const t = setup({ concurrent: 1, queued: 10 });
  const failing = t.admission.run(() => Promise.reject(new BiospecError('PERMISSION_DENIED', 'replayed')));
  const next = t.admission.run(t.work('next'));
  expect((await refusalOf(failing)).code).toBe('PERMISSION_DENIED');
  await flush();
  expect(t.startedWork).toEqual(['next']);
  await t.finishOne();
  await expect(next).resolves.toBe('next');
});
