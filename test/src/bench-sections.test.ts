import { sectionOf, spliceSection } from './bench/sections.js';

// `npm run bench -- --node` rewrites the main run's report and carries over the sections other runs wrote.
const previous = ['# Benchmarks', '', 'old main', '', '## Directory', '', 'directory run of 14:44', '', '## Scale', '', 'scale run', '', '## Reading these figures', '', 'notes', ''].join('\n');
const fresh = ['# Benchmarks', '', 'new main', '', '## Reading these figures', '', 'notes', ''].join('\n');

test('sectionOf returns a section up to the next heading, or undefined', () => {
  expect(sectionOf(previous, '## Directory')).toBe('## Directory\n\ndirectory run of 14:44\n');
  expect(sectionOf(previous, '## Reading these figures')).toBe('## Reading these figures\n\nnotes\n');
  expect(sectionOf(previous, '## Connect')).toBeUndefined();
});

test('sections kept from an earlier report go before "Reading these figures" of a new one, in order', () => {
  let report = fresh;
  for (const title of ['## Directory', '## Scale']) report = spliceSection(report, title, sectionOf(previous, title)!);
  expect(report).toBe(['# Benchmarks', '', 'new main', '', '## Directory', '', 'directory run of 14:44', '', '## Scale', '', 'scale run', '', '## Reading these figures', '', 'notes', ''].join('\n'));
});
