import { BiospecError } from '@biospec/protocol';
import type { Expr } from './ast.js';
import { QUERY_LIMITS } from './limits.js';
import { parseQuery, parseQueryJson } from './schema.js';

/** The BiospecError `run` throws; fails the test when it throws nothing or something else. */
function caught(run: () => unknown): BiospecError {
  try {
    run();
  } catch (reason) {
    expect(reason).toBeInstanceOf(BiospecError);
    return reason as BiospecError;
  }
  throw new Error('expected a BiospecError');
}

const where = (expr: unknown) => ({ unit: 'donors', where: expr });
const inExpr = (field: string, values: unknown[]) => ({ op: 'in', field, values });
const notChain = (depth: number): Expr => {
  let expr: Expr = { op: 'min_quantity', value: 1 };
  for (let i = 1; i < depth; i += 1) expr = { op: 'not', arg: expr };
  return expr;
};

describe('parseQuery accepts valid queries', () => {
  test('a full query comes back equal, with codes normalised', () => {
    const query = parseQuery({
      unit: 'specimens',
      where: {
        op: 'and',
        args: [
          { op: 'in', field: 'material_type', values: ['tissue-ffpe'] },
          { op: 'diagnosis', codes: ['c50', 'c509', 'C34.1'] },
          { op: 'anatomical_site', codes: ['c504'] },
          { op: 'age_range', min: 40, max: 60 },
          { op: 'collected_between', from: '2015-01-01', to: '2020-02-29' },
          { op: 'consent_permits', use: 'DUO:0000006' },
          { op: 'not', arg: { op: 'min_quantity', value: 0 } },
          { op: 'or', args: [{ op: 'in', field: 'collection_id', values: ['C1'] }, { op: 'in', field: 'status', values: ['available'] }] },
        ],
      },
      stratify: ['sex', 'age_band'],
    });
    expect(query.where).toMatchObject({
      op: 'and',
      args: expect.arrayContaining([
        { op: 'diagnosis', codes: ['C50', 'C50.9', 'C34.1'] },
        { op: 'anatomical_site', codes: ['C50.4'] },
      ]),
    });
    expect(query.stratify).toEqual(['sex', 'age_band']);
  });

  test('diagnosis takes ranges of categories and chapters, normalised to FIRST-LAST', () => {
    const codes = (list: string[]) => (parseQuery(where({ op: 'diagnosis', codes: list })).where as { codes: string[] }).codes;
    expect(codes(['C00-C97', 'c00-d48', 'II', 'ii', ' C00 \u2013 C14 ', 'IX', 'C50-C50'])).toEqual([
      'C00-C97',
      'C00-D48',
      'C00-D48',
      'C00-D48',
      'C00-C14',
      'I00-I99',
      'C50',
    ]);
  });

  test('the list limit counts the items sent: a range is one item, 101 categories are refused', () => {
    const categories = Array.from({ length: 101 }, (_, i) => `C${String(i % 100).padStart(2, '0')}`);
    categories[100] = 'D00';
    const error = caught(() => parseQuery(where({ op: 'diagnosis', codes: categories })));
    expect(error.issues).toEqual([{ field: 'where.codes', message: 'list has 101 items; at most 100 are allowed' }]);
    expect(parseQuery(where({ op: 'diagnosis', codes: ['C00-D00'] })).where).toEqual({ op: 'diagnosis', codes: ['C00-D00'] });
  });

  test('a query without where or stratify is valid', () => {
    expect(parseQuery({ unit: 'aliquots' })).toEqual({ unit: 'aliquots' });
  });

  test('one-sided ranges and boundary ages are valid', () => {
    expect(parseQuery(where({ op: 'age_range', min: 0 })).where).toEqual({ op: 'age_range', min: 0 });
    expect(parseQuery(where({ op: 'age_range', max: 150 })).where).toEqual({ op: 'age_range', max: 150 });
    expect(parseQuery(where({ op: 'age_range', min: 50, max: 50 })).where).toEqual({ op: 'age_range', min: 50, max: 50 });
    expect(parseQuery(where({ op: 'collected_between', to: '2000-12-31' })).where).toEqual({ op: 'collected_between', to: '2000-12-31' });
  });
});

describe('parseQuery error matrix', () => {
  const cases: [string, unknown, string | undefined, RegExp][] = [
    ['query not an object', 42, undefined, /expected an object, got number/],
    ['unknown top-level key', { unit: 'donors', limit: 5 }, 'limit', /unknown key 'limit'; allowed keys: unit, where, stratify/],
    ['unknown key inside an expression', where({ op: 'and', args: [{ op: 'min_quantity', value: 1, extra: true }] }), 'where.args[0].extra', /unknown key 'extra'; allowed keys: op, value/],
    ['missing unit', {}, 'unit', /required key is missing/],
    ['unknown unit', { unit: 'patients' }, 'unit', /unknown unit 'patients'; allowed: donors, specimens, aliquots/],
    ['wrong type of where', where('everything'), 'where', /expected an expression object, got string/],
    ['wrong type of a number', where({ op: 'age_range', min: '40' }), 'where.min', /expected a number, got string/],
    ['wrong type of a list', where({ op: 'and', args: { op: 'min_quantity', value: 1 } }), 'where.args', /expected an array, got object/],
    ['unknown op', where({ op: 'xor', args: [] }), 'where.op', /unknown op 'xor'; expected one of: and, or, not, in,/],
    ['missing op', where({ args: [] }), 'where.op', /expression needs an 'op'/],
    ['missing operand of not', where({ op: 'not' }), 'where.arg', /^required key is missing$/],
    ['an argument that is not an expression', where({ op: 'or', args: [{ op: 'min_quantity', value: 1 }, 7] }), 'where.args[1]', /expected an expression object, got number/],
    ['unknown field in in', where(inExpr('colour', ['red'])), 'where.field', /unknown field 'colour' for 'in'; allowed: material_type, sex, storage_temperature, status, collection_id/],
    ['material type outside the vocabulary', where({ op: 'and', args: [{ op: 'min_quantity', value: 1 }, { op: 'min_quantity', value: 2 }, inExpr('material_type', ['blood'])] }), 'where.args[2].values[0]', /unknown material type 'blood'; allowed: whole-blood, serum, plasma,.*cell-line, other/],
    ['sex outside the vocabulary', where(inExpr('sex', ['f'])), 'where.values[0]', /unknown sex 'f'; allowed: female, male, other, unknown/],
    ['storage temperature outside the vocabulary', where(inExpr('storage_temperature', ['-80'])), 'where.values[0]', /unknown storage temperature '-80'; allowed: RT, 2to10/],
    ['withdrawn status', where(inExpr('status', ['withdrawn'])), 'where.values[0]', /withdrawn specimens are never counted; allowed: available, reserved, depleted/],
    ['empty collection id', where(inExpr('collection_id', [''])), 'where.values[0]', /collection id must not be empty/],
    ['empty and', where({ op: 'and', args: [] }), 'where.args', /must list at least one argument/],
    ['empty or', where({ op: 'or', args: [] }), 'where.args', /must list at least one argument/],
    ['empty in values', where(inExpr('sex', [])), 'where.values', /must list at least one value/],
    ['age_range without bounds', where({ op: 'age_range' }), 'where', /age_range needs at least one of min and max/],
    ['age_range min above max', where({ op: 'age_range', min: 60, max: 40 }), 'where.min', /min \(60\) is greater than max \(40\)/],
    ['age_range non-integer', where({ op: 'age_range', min: 40.5 }), 'where.min', /age must be a whole number of years/],
    ['age_range above 150', where({ op: 'age_range', max: 151 }), 'where.max', /age must be between 0 and 150/],
    ['age_range negative', where({ op: 'age_range', min: -1 }), 'where.min', /age must be between 0 and 150/],
    ['collected_between without bounds', where({ op: 'collected_between' }), 'where', /collected_between needs at least one of from and to/],
    ['partial date as a bound', where({ op: 'collected_between', from: '2019-05' }), 'where.from', /'2019-05' is not a date: expected a full ISO date YYYY-MM-DD/],
    ['impossible calendar date', where({ op: 'collected_between', to: '2019-02-29' }), 'where.to', /'2019-02-29' is not a date/],
    ['month 13', where({ op: 'collected_between', to: '2019-13-01' }), 'where.to', /'2019-13-01' is not a date/],
    ['date with a time', where({ op: 'collected_between', to: '2019-01-01T00:00:00Z' }), 'where.to', /is not a date/],
    ['from after to', where({ op: 'collected_between', from: '2020-01-02', to: '2020-01-01' }), 'where.from', /from \(2020-01-02\) is after to \(2020-01-01\)/],
    ['diagnosis code not ICD-10', where({ op: 'diagnosis', codes: ['C50', 'breast cancer'] }), 'where.codes[1]', /'breast cancer' is not an ICD-10 code/],
    ['empty diagnosis codes', where({ op: 'diagnosis', codes: [] }), 'where.codes', /must list at least one code/],
    ['diagnosis range backwards', where({ op: 'diagnosis', codes: ['C97-C00'] }), 'where.codes[0]', /'C97-C00' is not an ICD-10 code, range or chapter: the range starts after it ends \(C97 comes after C00\)/],
    ['diagnosis range of finer codes', where({ op: 'diagnosis', codes: ['C50.1-C50.4'] }), 'where.codes[0]', /a range joins two three-character categories, like C00-C97/],
    ['diagnosis range with three ends', where({ op: 'diagnosis', codes: ['C00-C10-C20'] }), 'where.codes[0]', /not an ICD-10 code, range or chapter/],
    ['no chapter XXIII', where({ op: 'diagnosis', codes: ['XXIII'] }), 'where.codes[0]', /'XXIII' is not an ICD-10 code, range or chapter: expected a code like C50 or C50.9, a range like C00-C97 or a chapter like II/],
    ['anatomical site range', where({ op: 'anatomical_site', codes: ['C00-C14'] }), 'where.codes[0]', /'C00-C14' is not an ICD-O-3 topography code/],
    ['anatomical site not a code', where({ op: 'anatomical_site', codes: ['5'] }), 'where.codes[0]', /'5' is not an ICD-O-3 topography code/],
    ['consent use not a use category', where({ op: 'consent_permits', use: 'DUO:0000044' }), 'where.use', /'DUO:0000044' is not a DUO use category.*allowed: DUO:0000004 \(NRES\), DUO:0000042 \(GRU\), DUO:0000006 \(HMB\), DUO:0000007 \(DS\), DUO:0000011 \(POA\)/],
    ['negative min_quantity', where({ op: 'min_quantity', value: -0.5 }), 'where.value', /min_quantity must not be negative/],
    ['infinite min_quantity', where({ op: 'min_quantity', value: Infinity }), 'where.value', /expected a finite number, got Infinity/],
    ['NaN min_quantity', where({ op: 'min_quantity', value: NaN }), 'where.value', /expected a finite number, got NaN/],
    ['missing min_quantity value', where({ op: 'min_quantity' }), 'where.value', /required key is missing/],
    ['unknown stratify dimension', { unit: 'donors', stratify: ['sex', 'country'] }, 'stratify[1]', /unknown stratify dimension 'country'; allowed: material_type, sex, age_band/],
    ['duplicate stratify dimension', { unit: 'donors', stratify: ['sex', 'age_band', 'sex'] }, 'stratify[2]', /duplicate stratify dimension 'sex'/],
    ['more than 3 stratify dimensions', { unit: 'donors', stratify: ['sex', 'age_band', 'material_type', 'storage_temperature'] }, 'stratify', /at most 3 stratify dimensions are allowed, got 4/],
  ];

  test.each(cases)('%s', (_name, input, field, message) => {
    const error = caught(() => parseQuery(input));
    expect(error.code).toBe('INVALID_QUERY');
    const issue = error.issues.find((i) => i.field === field && message.test(i.message));
    expect({ issues: error.issues, found: issue !== undefined }).toEqual({ issues: error.issues, found: true });
    expect(error.message).toMatch(/^invalid query: /);
  });

  test('every problem is reported, each at its own path', () => {
    const error = caught(() =>
      parseQuery({
        unit: 'donors',
        where: { op: 'or', args: [inExpr('material_type', ['blood', 'serum', 'gold']), { op: 'age_range', min: 'old' }] },
        stratify: ['sex', 'sex'],
      }),
    );
    expect(error.issues.map((i) => i.field).sort()).toEqual(
      ['stratify[1]', 'where.args[0].values[0]', 'where.args[0].values[2]', 'where.args[1].min'].sort(),
    );
    expect(error.message).toMatch(/and 3 more problems/);
  });
});

describe('parseQuery bomb limits', () => {
  test(`expression nesting of ${QUERY_LIMITS.maxDepth} is allowed, one more is not`, () => {
    expect(() => parseQuery(where(notChain(QUERY_LIMITS.maxDepth)))).not.toThrow();
    const error = caught(() => parseQuery(where(notChain(QUERY_LIMITS.maxDepth + 1))));
    expect(error.issues).toEqual([{ field: `where${'.arg'.repeat(QUERY_LIMITS.maxDepth)}`, message: 'expression nesting depth exceeds 12' }]);
  });

  test('nesting through and/or args counts too', () => {
    let expr: Expr = { op: 'min_quantity', value: 1 };
    for (let i = 0; i < QUERY_LIMITS.maxDepth; i += 1) expr = { op: i % 2 ? 'and' : 'or', args: [expr] };
    const error = caught(() => parseQuery(where(expr)));
    expect(error.issues[0]?.message).toBe('expression nesting depth exceeds 12');
    expect(error.issues[0]?.field).toMatch(/^where(\.args\[0\])+$/);
  });

  test(`more than ${QUERY_LIMITS.maxNodes} expression nodes are refused`, () => {
    const leaves = (n: number) => Array.from({ length: n }, (_, i) => ({ op: 'min_quantity', value: i }));
    const tree = (n: number) => ({ op: 'and', args: [{ op: 'or', args: leaves(n - 3).slice(0, 99) }, { op: 'or', args: leaves(n - 3).slice(99) }] });
    expect(() => parseQuery(where(tree(200)))).not.toThrow();
    const error = caught(() => parseQuery(where(tree(201))));
    expect(error.issues).toEqual([{ field: 'where', message: 'query has more than 200 expression nodes' }]);
  });

  test(`a list of more than ${QUERY_LIMITS.maxListLength} values is refused`, () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `C${i}`);
    expect(() => parseQuery(where(inExpr('collection_id', ids(100))))).not.toThrow();
    const error = caught(() => parseQuery(where({ op: 'not', arg: inExpr('collection_id', ids(101)) })));
    expect(error.issues).toEqual([{ field: 'where.arg.values', message: 'list has 101 items; at most 100 are allowed' }]);
  });

  test(`a string longer than ${QUERY_LIMITS.maxStringLength} characters is refused, wherever it is`, () => {
    expect(() => parseQuery(where(inExpr('collection_id', ['x'.repeat(64)])))).not.toThrow();
    const long = caught(() => parseQuery(where(inExpr('collection_id', ['ok', 'x'.repeat(65)]))));
    expect(long.issues).toEqual([{ field: 'where.values[1]', message: 'string is 65 characters long; at most 64 are allowed' }]);
    const op = caught(() => parseQuery(where({ op: 'y'.repeat(1000) })));
    expect(op.issues).toEqual([{ field: 'where.op', message: 'string is 1000 characters long; at most 64 are allowed' }]);
    const key = caught(() => parseQuery({ unit: 'donors', ['k'.repeat(100)]: 1 }));
    expect(key.issues[0]?.message).toBe('a key is 100 characters long; at most 64 are allowed');
  });

  test('a cyclic in-process object is refused, not looped over', () => {
    const expr: { op: string; arg?: unknown } = { op: 'not' };
    expr.arg = expr;
    expect(caught(() => parseQuery(where(expr))).issues[0]?.message).toBe('expression nesting depth exceeds 12');
    const junk: Record<string, unknown> = {};
    for (let i = 0; i < 50; i += 1) junk[`k${i}`] = junk;
    expect(caught(() => parseQuery({ unit: 'donors', junk })).issues[0]?.message).toBe('query is nested more than 64 levels deep');
  });
});

describe('parseQueryJson', () => {
  test('parses valid JSON text into a query', () => {
    expect(parseQueryJson('{"unit":"donors","where":{"op":"diagnosis","codes":["c50"]}}')).toEqual({
      unit: 'donors',
      where: { op: 'diagnosis', codes: ['C50'] },
    });
  });

  test('oversize text is TOO_LARGE before any parsing, counted in UTF-8 bytes', () => {
    const error = caught(() => parseQueryJson(`{"unit":"donors"}${' '.repeat(16384)}`));
    expect(error.code).toBe('TOO_LARGE');
    expect(error.message).toBe('query text is larger than 16384 bytes');
    // 10 characters, 30 bytes: over a 20-byte limit even though not over 20 characters.
    expect(caught(() => parseQueryJson('"€€€€€€€€"', 20)).code).toBe('TOO_LARGE');
    expect(caught(() => parseQueryJson('not json at all', 20)).code).toBe('INVALID_QUERY');
  });

  test('invalid JSON is INVALID_QUERY with the parser position', () => {
    const error = caught(() => parseQueryJson('{\n"unit": "donors",\n"where" 1}'));
    expect(error.code).toBe('INVALID_QUERY');
    expect(error.issues[0]?.message).toMatch(/^invalid JSON: .*position 28/);
    expect(error.issues[0]?.line).toBe(3);
  });

  test('a deeply nested JSON bomb is refused without exhausting the stack', () => {
    const n = 100_000;
    const text = `{"unit":"donors","where":${'{"op":"not","arg":'.repeat(n)}{"op":"min_quantity","value":1}${'}'.repeat(n)}}`;
    const error = caught(() => parseQueryJson(text, text.length));
    expect(error.code).toBe('INVALID_QUERY');
    expect(error.issues[0]?.message).toMatch(/JSON is nested more than 64 levels deep/);
  });

  test('brackets inside strings do not count as nesting', () => {
    const text = `{"unit":"donors","where":{"op":"in","field":"collection_id","values":["${'['.repeat(60)}","${'{\\"'.repeat(20)}"]}}`;
    expect(parseQueryJson(text).where).toMatchObject({ op: 'in', field: 'collection_id' });
  });

  test('expression depth inside JSON gets the expression message', () => {
    const text = JSON.stringify(where(notChain(20)));
    expect(caught(() => parseQueryJson(text)).issues[0]?.message).toBe('expression nesting depth exceeds 12');
  });
});

describe('stratify cells', () => {
  test('a stratification with more cells than the limit is refused, naming the product', () => {
    expect(() => parseQuery({ unit: 'donors', stratify: ['material_type', 'diagnosis_chapter', 'sex'] })).toThrow(
      'stratifying by material_type × diagnosis_chapter × sex gives 1440 cells; at most 600 are allowed',
    );
    expect(parseQuery({ unit: 'donors', stratify: ['material_type', 'sex', 'age_band'] }).stratify).toHaveLength(3);
  });
});
