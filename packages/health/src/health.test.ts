import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry, Counter } from 'prom-client';
import { createReadiness, type ReadinessReport } from './readiness.js';
import { startHealthServer } from './health-server.js';
import { probeWritable } from './write-probe.js';

test('stop waits for an evaluation in flight, so nothing a check writes outlives the service', async () => {
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let finished = false;
  const readiness = createReadiness([
    {
      name: 'slow',
      async run() {
        await gate;
        finished = true;
        return undefined;
      },
    },
  ]);
  const evaluating = readiness.refresh();
  const stopped = readiness.stop().then(() => finished);
  release();
  expect(await stopped).toBe(true);
  expect((await evaluating).ready).toBe(true);
});

test('readiness runs every check, reports each problem, and tells listeners only of changes', async () => {
  let indexProblem: string | undefined = 'count index warming up';
  const seen: ReadinessReport[] = [];
  const readiness = createReadiness([
    { name: 'countIndex', run: () => indexProblem },
    {
      name: 'flaky',
      run: () => {
        throw new Error('disk gone');
      },
    },
  ]);
  readiness.onChange((r) => seen.push(r));
  expect(readiness.report().ready).toBe(false);
  await readiness.refresh();
  expect(readiness.report().checks).toEqual({ countIndex: 'count index warming up', flaky: 'disk gone' });
  await readiness.refresh();
  indexProblem = undefined;
  await readiness.refresh();
  // Still not ready (the flaky check), so listeners heard only the first evaluation.
  expect(seen.map((r) => r.ready)).toEqual([false]);
});

test('on the timer a check with everyMs runs at most that often, its last result standing in between; refresh runs it regardless', async () => {
  let clock = 0;
  let probes = 0;
  let cheap = 0;
  const readiness = createReadiness(
    [
      { name: 'probe', run: () => void probes++, everyMs: 30_000 },
      { name: 'cheap', run: () => void cheap++ },
    ],
    { now: () => new Date(clock) },
  );
  await readiness.refresh();
  readiness.start(1);
  const ticks = async (n: number) => {
    for (const target = cheap + n; cheap < target; ) await new Promise((resolve) => setTimeout(resolve, 2));
  };
  await ticks(3);
  expect(probes).toBe(1);
  expect(readiness.report().checks).toEqual({ probe: 'ok', cheap: 'ok' });
  clock = 30_000;
  await ticks(2);
  expect(probes).toBe(2);
  await readiness.refresh();
  expect(probes).toBe(3);
  await readiness.stop();
});

test('the health listener answers /healthz, /readyz (503 until ready) and /metrics, and nothing else', async () => {
  let ready = false;
  const readiness = createReadiness([{ name: 'x', run: () => (ready ? undefined : 'not yet') }]);
  await readiness.refresh();
  const registry = new Registry();
  new Counter({ name: 'probe_total', help: 'a counter', registers: [registry] }).inc(3);
  const served: string[] = [];
  const server = await startHealthServer({ listen: '127.0.0.1:0', readiness, metrics: registry, onRequest: (e) => served.push(`${e.method} ${e.path} ${e.status}`) });
  try {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ status: 'not ready', ready: false, checks: { x: 'not yet' } });
    ready = true;
    await readiness.refresh();
    expect((await fetch(`${server.url}/readyz?verbose=1`)).status).toBe(200);
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toContain('probe_total 3');
    expect((await fetch(`${server.url}/api/v1/count`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).toBe(405);
    expect(served).toContain('GET /readyz 503');
  } finally {
    await server.stop();
  }
});

test('the write probe names a folder that takes no writes, and leaves nothing behind', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-probe-'));
  try {
    expect(await probeWritable([dir], [path.join(dir, 'missing.db')])).toBeUndefined();
    expect(await probeWritable([path.join(dir, 'gone')], [])).toMatch(/gone does not take writes: ENOENT/);
    expect(fs.readdirSync(dir)).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
