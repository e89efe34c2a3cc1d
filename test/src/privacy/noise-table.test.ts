import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_POLICY } from '@biospec/privacy';
import { noiseTable, replaceNoiseTable } from './attack-report.js';

test('docs/PRIVACY.md shows the noise-versus-questions table of the default budget and caps', () => {
  const doc = path.resolve('docs/PRIVACY.md');
  const caps = DEFAULT_POLICY.contributionCaps!;
  const table = noiseTable(DEFAULT_POLICY.budget!.epsilon, caps, [0.05, 0.1, 0.2, 0.5, 1]);
  if (process.env.UPDATE_DOCS === '1') fs.writeFileSync(doc, replaceNoiseTable(fs.readFileSync(doc, 'utf8'), table));
  const text = fs.readFileSync(doc, 'utf8');
  expect(replaceNoiseTable(text, table)).toBe(text);
});
