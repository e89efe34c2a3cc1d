import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchConnect, CONNECT_QUICK, renderConnectSection } from './bench/connect-bench.js';
import { benchDirectory, DIRECTORY_QUICK, renderDirectorySection, spliceDirectorySection } from './bench/directory-bench.js';
import { benchScale, renderScaleSection, SCALE_QUICK, SCALE_SECTION_TITLE } from './bench/scale-bench.js';
import { spliceSection } from './bench/sections.js';
import { QUICK, renderFhirSection, renderReport, runBenchmarks, spliceFhirSection } from './bench/run.js';

// Runs the benchmark suite at its quick sizes so it cannot rot. It asserts that every
// figure was measured, never how fast: speed targets live in docs/BENCHMARKS.md.
test('the benchmark suite runs end to end at quick sizes', async () => {
  const results = await runBenchmarks(QUICK, 'jest bench-quick');
  const figures = [
    ...results.catalogues.flatMap((c) => [c.importRowsPerSecond, c.nodeRss.rss, ...c.catalogue.map((e) => e.timing.p50), ...c.node.flatMap((e) => [e.timing.p99, e.unary.p99])]),
    ...results.fhir.flatMap((f) => [f.specimensPerSecond, f.peakRssMiB, f.cpuSeconds]),
    ...results.federation.map((f) => f.latency.p50),
    results.throughput.perSecond,
    results.slowNode.withSlow.p50,
    ...results.signatures.map((s) => s.perSecond),
  ];
  expect(figures.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
  expect(results.federation.every((f) => f.sitesOk === f.nodes)).toBe(true);
  // The silent node costs the deadline, not more.
  expect(results.slowNode.withSlow.p50).toBeGreaterThanOrEqual(QUICK.slowNodeDeadlineMs);
  expect(results.slowNode.withSlow.p50).toBeLessThan(QUICK.slowNodeDeadlineMs + 1000);
  const report = renderReport(results);
  expect(report).toContain('| specimens | query |');
  expect(report).toContain('## FHIR import');
  expect(results.fhir.every((f) => f.specimens > 0)).toBe(true);
  expect(report).toContain(results.machine);

  // `--fhir` alone: its section names its own run and replaces only the FHIR section of a report.
  const section = renderFhirSection(results.fhir, { command: 'jest bench-quick', machine: 'test machine', startedAt: 'now' }).join('\n');
  expect(section).toContain('Measured now with `jest bench-quick` on test machine.');
  const spliced = spliceFhirSection(report, section);
  expect(spliceFhirSection(spliced, section)).toBe(spliced);
  expect(spliced.slice(0, spliced.indexOf('## FHIR import'))).toBe(report.slice(0, report.indexOf('## FHIR import')));
  expect(spliced.slice(spliced.indexOf('## Federation'))).toBe(report.slice(report.indexOf('## Federation')));
  const withoutFhir = '# Benchmarks\n\n## Node\n\ntext\n\n## Federation through the coordinator\n\nmore\n';
  expect(spliceFhirSection(withoutFhir, section)).toBe(`# Benchmarks\n\n## Node\n\ntext\n\n${section}\n## Federation through the coordinator\n\nmore\n`);
}, 180_000);

test('the directory benchmark runs end to end at quick sizes', async () => {
  const results = await benchDirectory(DIRECTORY_QUICK);
  expect(results.map((r) => r.peers)).toEqual(DIRECTORY_QUICK.peers);
  for (const r of results) {
    expect(r.propagation.runs).toBe(DIRECTORY_QUICK.changes);
    expect([r.convergeMs, r.propagation.p50].every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    // CPU beyond the idle rate: measured, but a quiet machine may leave nothing to see in three changes.
    expect([r.cpuMsPerPeerPerChange, r.idleCpuMsPerPeerPerSecond].every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
  }
  const section = renderDirectorySection(results, { command: 'jest bench-quick', machine: 'test machine', startedAt: 'now' });
  expect(section).toContain('| peers | changes | propagation median ms |');
  // Only its own section is replaced; the rest of a report stays as it was.
  const report = '# Benchmarks\n\n## Node\n\ntext\n\n## Reading these figures\n\nnotes\n';
  const once = spliceDirectorySection(report, section);
  expect(spliceDirectorySection(once, section)).toBe(once);
  expect(once.replace(section + '\n', '')).toBe(report);
}, 120_000);

test('the connect-out and national-scale benchmarks run end to end at quick sizes', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-bench-quick-'));
  try {
    const connect = await benchConnect(work, CONNECT_QUICK);
    for (const way of [connect.direct, connect.connectOut]) {
      expect(way.sitesOk).toBe(CONNECT_QUICK.nodes);
      expect([way.latency.p50, way.perSecond].every((x) => Number.isFinite(x) && x > 0)).toBe(true);
      // /proc counts CPU in 10 ms ticks: a quick run may see none in a phase, never less.
      expect([way.coordinatorCpuMsPerAnswer, way.nodesCpuMsPerAnswer].every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
    }
    const context = { command: 'jest bench-quick', machine: 'test machine', startedAt: 'now' };
    expect(renderConnectSection(connect, context)).toContain('| connect-out (the node\'s link) |');

    const scale = await benchScale(work, SCALE_QUICK);
    expect(scale.rows.map((r) => [r.nodes, r.sitesOk])).toEqual(SCALE_QUICK.nodes.flatMap((n) => [[n, n], [n, n]]));
    expect(scale.rows.every((r) => r.latency.p50 > 0 && r.coordinatorRss.rss > 0 && r.answerBytes > 0)).toBe(true);
    const section = renderScaleSection(scale, context);
    expect(section).toContain('| nodes | question | p50 ms |');
    // Each section replaces only itself.
    const report = '# Benchmarks\n\n## Node\n\ntext\n\n## Reading these figures\n\nnotes\n';
    const once = spliceSection(spliceSection(report, SCALE_SECTION_TITLE, section), SCALE_SECTION_TITLE, section);
    expect(once.replace(section + '\n', '')).toBe(report);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 180_000);
