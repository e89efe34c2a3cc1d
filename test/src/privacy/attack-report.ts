import { dpBound, type AttackResult } from './attack-lab.js';

const BEGIN = '<!-- attack-table:begin (written by test/src/privacy/attacks.test.ts; UPDATE_DOCS=1 rewrites it) -->';
const END = '<!-- attack-table:end -->';
const percent = (x: number) => `${(x * 100).toFixed(1)} %`;
const ORDER = ['structural', 'noise-limited', 'control'];

/** The measured attack table as docs/PRIVACY.md shows it. */
export function attackTable(results: readonly (AttackResult & { kind: string })[]): string {
  const rows = [...results]
    .sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind))
    .map((r) => {
      const bound =
        r.kind === 'structural'
          ? '50 % (chance)'
          : r.kind === 'control'
            ? 'no bound (no protection)'
            : `${percent(dpBound(r.epsilonSpent))} (ε = ${Number(r.epsilonSpent.toFixed(3))})`;
      return `| ${r.name} | ${r.kind} | ${r.trials} | ${percent(r.rate)} | ${percent(r.low)} – ${percent(r.high)} | ${bound} |`;
    });
  return [
    '| attack | kind | trials | success | 95 % interval | at most |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** `text` with the table between the markers replaced by `table`. */
export function replaceTable(text: string, table: string): string {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/PRIVACY.md has no attack table markers (${BEGIN} … ${END})`);
  return `${text.slice(0, start + BEGIN.length)}\n${table}\n${text.slice(end)}`;
}

const NOISE_BEGIN = '<!-- noise-table:begin (written by test/src/privacy/noise-table.test.ts; UPDATE_DOCS=1 rewrites it) -->';
const NOISE_END = '<!-- noise-table:end -->';

/** Half-width within which 95 % of discrete Laplace noise of parameter α = e^(−ε/Δ) falls: P(|Z| ≤ x) = 1 − 2α^(x+1)/(1+α). */
function within95(alpha: number): number {
  let x = 0;
  while (1 - (2 * alpha ** (x + 1)) / (1 + alpha) < 0.95) x += 1;
  return x;
}

/**
 * Noise versus questions for a budget of `budget` per window and the given
 * caps: for each ε per question, how many plain and stratified questions one
 * window allows and how far a figure strays (95 % of figures within ±x, before rounding).
 */
export function noiseTable(budget: number, caps: { specimens: number; aliquots: number }, epsilons: readonly number[]): string {
  const rows = epsilons.map((epsilon) => {
    const spread = (sensitivity: number) => `±${within95(Math.exp(-epsilon / sensitivity))}`;
    const questions = (cost: number) => Math.floor((budget + 1e-9) / cost);
    return `| ${epsilon} | ${questions(epsilon)} | ${questions(2 * epsilon)} | ${spread(1)} | ${spread(caps.specimens)} | ${spread(caps.aliquots)} |`;
  });
  return [
    `| ε per figure | plain questions per window | stratified questions (specimens, aliquots) | donors: 95 % within | specimens (cap ${caps.specimens}) | aliquots (cap ${caps.aliquots}) |`,
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** `text` with the noise table between its markers replaced. */
export function replaceNoiseTable(text: string, table: string): string {
  const start = text.indexOf(NOISE_BEGIN);
  const end = text.indexOf(NOISE_END);
  if (start < 0 || end < start) throw new Error(`docs/PRIVACY.md has no noise table markers (${NOISE_BEGIN} … ${NOISE_END})`);
  return `${text.slice(0, start + NOISE_BEGIN.length)}\n${table}\n${text.slice(end)}`;
}
