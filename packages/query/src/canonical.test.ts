import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { Expr, Query } from './ast.js';
import { canonicalJson, canonicalise, queryHash } from './canonical.js';
import { referenceCount } from './reference-evaluator.js';
import { parseQuery } from './schema.js';
import { createRandom, queryArb, recordsArb, reword } from './testing/arbitraries.js';

const serum: Expr = { op: 'in', field: 'material_type', values: ['serum'] };
const women: Expr = { op: 'in', field: 'sex', values: ['female'] };
const adults: Expr = { op: 'age_range', min: 18 };
const breast: Expr = { op: 'diagnosis', codes: ['C50'] };
const q = (where?: Expr, extra: Partial<Query> = {}): Query => ({ unit: 'donors', ...(where ? { where } : {}), ...extra });

describe('canonicalJson', () => {
  test('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  test('omits undefined properties, keeps array order, escapes strings as JSON does', () => {
    expect(canonicalJson({ a: undefined, b: [2, 1, undefined], c: 'quote " and \n' })).toBe('{"b":[2,1,null],"c":"quote \\" and \\n"}');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson('x')).toBe('"x"');
  });

  test('equal objects built in different key orders give equal text', () => {
    expect(canonicalJson({ op: 'age_range', min: 1, max: 2 })).toBe(canonicalJson({ max: 2, op: 'age_range', min: 1 }));
  });
});

describe('canonicalise', () => {
  test('sorts (by canonical JSON), flattens and deduplicates connectives', () => {
    const canonical = canonicalise(q({ op: 'and', args: [women, { op: 'and', args: [adults, women] }, serum] }));
    expect(canonical.where).toEqual({ op: 'and', args: [serum, women, adults] });
  });

  test('does not merge different connectives', () => {
    const canonical = canonicalise(q({ op: 'and', args: [women, { op: 'or', args: [serum, adults] }] }));
    expect(canonical.where).toEqual({ op: 'and', args: [{ op: 'or', args: [serum, adults] }, women] });
  });

  test('a single child, or children that deduplicate to one, collapse to the child', () => {
    expect(canonicalise(q({ op: 'or', args: [serum] })).where).toEqual(serum);
    expect(canonicalise(q({ op: 'and', args: [serum, { op: 'or', args: [serum] }] })).where).toEqual(serum);
  });

  test('removes double negation, keeps single negation', () => {
    expect(canonicalise(q({ op: 'not', arg: { op: 'not', arg: serum } })).where).toEqual(serum);
    expect(canonicalise(q({ op: 'not', arg: { op: 'not', arg: { op: 'not', arg: serum } } })).where).toEqual({ op: 'not', arg: serum });
  });

  test('deduplicates and sorts in-values', () => {
    const expr: Expr = { op: 'in', field: 'material_type', values: ['serum', 'dna', 'serum', 'buffy-coat'] };
    expect(canonicalise(q(expr)).where).toEqual({ op: 'in', field: 'material_type', values: ['buffy-coat', 'dna', 'serum'] });
  });

  test('normalises codes and drops those a broader code in the list covers', () => {
    expect(canonicalise(q({ op: 'diagnosis', codes: ['c509', 'C34.1', 'C50', 'c341', 'C50.12', 'E11.9'] })).where).toEqual({
      op: 'diagnosis',
      codes: ['C34.1', 'C50', 'E11.9'],
    });
    expect(canonicalise(q({ op: 'anatomical_site', codes: ['C50.12', 'C50.1', 'C501'] })).where).toEqual({
      op: 'anatomical_site',
      codes: ['C50.1'],
    });
    // Sibling ICD-O-3 sites both stay: C51 is not under C50.
    expect(canonicalise(q({ op: 'anatomical_site', codes: ['C50', 'C51'] })).where).toEqual({ op: 'anatomical_site', codes: ['C50', 'C51'] });
  });

  test('diagnosis categories merge into maximal runs; a run of one is its category, a longer one a range', () => {
    const canonical = (codes: string[]) => (canonicalise(q({ op: 'diagnosis', codes })).where as { codes: string[] }).codes;
    expect(canonical(['C51', 'C50'])).toEqual(['C50-C51']);
    expect(canonical(['C00-C20', 'C21-C30', 'C25-C40', 'E11'])).toEqual(['C00-C40', 'E11']);
    // Adjacent across letters: C99 and D00 are neighbours.
    expect(canonical(['D00-D48', 'C00-C99'])).toEqual(['C00-D48']);
    // Finer codes inside a run are dropped; those outside stay.
    expect(canonical(['C50.9', 'C00-C49', 'C51-C97', 'E11.9', 'C50'])).toEqual(['C00-C97', 'E11.9']);
    expect(canonical(['C50.9', 'C00-C49', 'C51-C97'])).toEqual(['C00-C49', 'C50.9', 'C51-C97']);
    expect(canonical(['ii', 'IV'])).toEqual(['C00-D48', 'E00-E90']);
  });

  test('a range, its categories spelled out and its chapter hash alike', () => {
    const diagnosis = (codes: string[]) => parseQuery(q({ op: 'diagnosis', codes }));
    const spelled = Array.from({ length: 98 }, (_, i) => `C${String(i).padStart(2, '0')}`);
    expect(queryHash(diagnosis(['C00-C97']))).toBe(queryHash(diagnosis(spelled)));
    expect(queryHash(diagnosis(['C00-C97']))).toBe(queryHash(diagnosis([...spelled].reverse().map((c) => c.toLowerCase()))));
    expect(queryHash(diagnosis(['II']))).toBe(queryHash(diagnosis(['C00-D48'])));
    expect(queryHash(diagnosis(['II']))).toBe(queryHash(diagnosis(['C00-C97', 'C98', 'C99', 'D00-D48', 'C50.9'])));
    expect(queryHash(diagnosis(['C00-C97']))).not.toBe(queryHash(diagnosis(['C00-C96'])));
  });

  test('omits absent bounds and absent parts', () => {
    const canonical = canonicalise({ unit: 'donors', where: { op: 'age_range', min: 40, max: undefined }, stratify: [] });
    expect(canonical).toEqual({ unit: 'donors', where: { op: 'age_range', min: 40 } });
    expect(Object.keys(canonical.where as object)).toEqual(['op', 'min']);
    expect(Object.keys(canonicalise({ unit: 'donors', where: undefined }))).toEqual(['unit']);
  });

  test('orders stratify as DIMENSIONS does, without duplicates', () => {
    expect(canonicalise(q(undefined, { stratify: ['storage_temperature', 'sex', 'material_type', 'sex'] })).stratify).toEqual([
      'material_type',
      'sex',
      'storage_temperature',
    ]);
  });

  test('drops keys that are not part of the AST', () => {
    const sneaky = { op: 'min_quantity', value: 2, note: 'x' } as unknown as Expr;
    expect(canonicalise(q(sneaky)).where).toEqual({ op: 'min_quantity', value: 2 });
  });

  test('does not modify its input', () => {
    const input = q({ op: 'and', args: [women, serum, women] }, { stratify: ['sex', 'material_type'] });
    const copy = structuredClone(input);
    canonicalise(input);
    expect(input).toEqual(copy);
  });
});

describe('queryHash', () => {
  test('is the lowercase hex SHA-256 of the canonical JSON', () => {
    const query = q({ op: 'or', args: [women, serum] });
    const expected = createHash('sha256').update(canonicalJson(canonicalise(query))).digest('hex');
    expect(queryHash(query)).toBe(expected);
    expect(queryHash(query)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('equal questions worded differently hash alike', () => {
    const a = parseQuery({
      unit: 'specimens',
      where: { op: 'and', args: [{ op: 'diagnosis', codes: ['c50', 'C50.9'] }, { op: 'age_range', min: 40, max: 60 }, { op: 'in', field: 'sex', values: ['female'] }] },
      stratify: ['sex', 'material_type'],
    });
    const b = parseQuery({
      stratify: ['material_type', 'sex'],
      where: {
        op: 'and',
        args: [
          { op: 'not', arg: { op: 'not', arg: { op: 'in', field: 'sex', values: ['female', 'female'] } } },
          { op: 'and', args: [{ max: 60, min: 40, op: 'age_range' }] },
          { op: 'diagnosis', codes: ['C50'] },
        ],
      },
      unit: 'specimens',
    });
    expect(queryHash(a)).toBe(queryHash(b));
  });

  test('different questions hash differently', () => {
    const hashes = new Set(
      [
        q(),
        q(undefined, { unit: 'specimens' }),
        q(women),
        q({ op: 'not', arg: women }),
        q({ op: 'and', args: [women, serum] }),
        q({ op: 'or', args: [women, serum] }),
        q(breast),
        q({ op: 'diagnosis', codes: ['C50.9'] }),
        q(women, { stratify: ['sex'] }),
      ].map(queryHash),
    );
    expect(hashes.size).toBe(9);
  });
});

describe('canonical form properties', () => {
  test('shuffling and duplicating and/or children and list values never changes the hash', () => {
    fc.assert(
      fc.property(queryArb, fc.integer(), (query, seed) => {
        const random = createRandom(seed);
        const reworded: Query = { ...query, ...(query.where ? { where: reword(query.where, random) } : {}) };
        expect(queryHash(reworded)).toBe(queryHash(query));
      }),
      { numRuns: 500 },
    );
  });

  test('canonicalise is idempotent', () => {
    fc.assert(
      fc.property(queryArb, (query) => {
        const once = canonicalise(query);
        expect(canonicalise(once)).toEqual(once);
        expect(canonicalJson(canonicalise(once))).toBe(canonicalJson(once));
      }),
      { numRuns: 500 },
    );
  });

  test('the canonical form counts exactly what the original counts', () => {
    fc.assert(
      fc.property(queryArb, recordsArb(), (query, records) => {
        expect(referenceCount(canonicalise(query), records)).toEqual(referenceCount(query, records));
      }),
      { numRuns: 500 },
    );
  });

  test('a canonical diagnosis list never has more items than the list it came from', () => {
    const term = fc.oneof(
      fc.tuple(fc.constantFrom('C', 'D', 'E'), fc.integer({ min: 0, max: 99 })).map(([l, n]) => `${l}${String(n).padStart(2, '0')}`),
      fc
        .tuple(fc.integer({ min: 200, max: 499 }), fc.integer({ min: 0, max: 30 }))
        .map(([first, span]) => [first, Math.min(499, first + span)].map((o) => `${'CDE'[Math.floor(o / 100) - 2]}${String(o % 100).padStart(2, '0')}`).join('-')),
      fc.constantFrom('C50.9', 'D48.1', 'E11.9', 'II', 'III', 'IV'),
    );
    fc.assert(
      fc.property(fc.array(term, { minLength: 1, maxLength: 100 }), (codes) => {
        const canonical = canonicalise(parseQuery(q({ op: 'diagnosis', codes })));
        expect((canonical.where as { codes: string[] }).codes.length).toBeLessThanOrEqual(codes.length);
        expect(parseQuery(canonical)).toEqual(canonical);
      }),
      { numRuns: 300 },
    );
  });

  test('the canonical form of a valid query is itself valid', () => {
    fc.assert(
      fc.property(queryArb, (query) => {
        const canonical = canonicalise(query);
        expect(parseQuery(canonical)).toEqual(canonical);
      }),
      { numRuns: 300 },
    );
  });
});
