import { protectCatalogueSummary } from './summary.js';

describe('the catalogue summary', () => {
  const counts = { donors: 4321, byMaterial: [{ key: { material_type: 'serum' }, count: 4000 }, { key: { material_type: 'dna' }, count: 1 }] };

  test('is noisy, rounded to 100 and the same for the same epoch', () => {
    const a = protectCatalogueSummary(counts, { secret: 's', epoch: 3 });
    expect(a).toEqual(protectCatalogueSummary(counts, { secret: 's', epoch: 3 }));
    expect(a.donors.value! % 100).toBe(0);
    expect(Math.abs(a.donors.value! - 4321)).toBeLessThan(2000);
    expect(a.donors.display).toMatch(/^about \d+ donors \(noisy, Laplace ε=0.01, rounded to 100\)$/);
    expect(a.materialTypes).toContain('serum');
  });

  test('one donor more or less cannot be told apart: over many secrets the releases of 4321 and 4322 donors look alike', () => {
    const releases = (donors: number) =>
      Array.from({ length: 400 }, (_, i) => protectCatalogueSummary({ ...counts, donors }, { secret: `s${i}`, epoch: 1 }).donors.value);
    const a = releases(4321);
    const b = releases(4322);
    const mean = (xs: (number | undefined)[]) => xs.reduce((s: number, x) => s + (x as number), 0) / xs.length;
    // Differences of single releases are dominated by noise of scale 100.
    expect(a.filter((x, i) => x !== b[i]).length).toBeLessThan(40);
    expect(Math.abs(mean(a) - mean(b))).toBeLessThan(20);
  });

  test('a material type held by one donor is listed about as rarely as one held by none', () => {
    const listed = (dna: number) => {
      let n = 0;
      const byMaterial = [{ key: { material_type: 'dna' }, count: dna }];
      for (let i = 0; i < 400; i++) if (protectCatalogueSummary({ donors: 10, byMaterial }, { secret: `t${i}`, epoch: 1 }).materialTypes.includes('dna')) n++;
      return n;
    };
    expect(listed(0)).toBeLessThan(25);
    expect(listed(1)).toBeLessThan(25);
  });
});
