import { z } from 'zod';
import { BiospecError, formatIssue, type Issue } from '@biospec/protocol/core';
import { DIMENSIONS, UNITS, type Dimension, type Expr, type Query } from './ast.js';
import { isFullIsoDate } from './iso-date.js';
import { describeType, formatJsonPath, quoteValue } from './json-path.js';
import { QUERY_LIMITS, findJsonNestingOverrun, findLimitViolations } from './limits.js';
import { MATERIAL_TYPES, SEXES, STORAGE_TEMPERATURES } from './specimen.js';
import { strataCellCount } from './strata.js';
import { USE_CATEGORIES, duoTerm, isUseCategory } from './vocab/duo.js';
import { normaliseIcd10, readIcd10Term } from './vocab/icd10.js';

const OPS = ['and', 'or', 'not', 'in', 'age_range', 'collected_between', 'diagnosis', 'anatomical_site', 'consent_permits', 'min_quantity'] as const;
const IN_FIELDS = ['material_type', 'sex', 'storage_temperature', 'status', 'collection_id'] as const;
const COUNTABLE_STATUSES = ['available', 'reserved', 'depleted'] as const;
const MAX_DIMENSIONS = 3;
const MIN_AGE = 0;
const MAX_AGE = 150;

/** A strict object whose unknown-key message names the keys it does allow. */
function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        const keys = iss.keys.map((k) => quoteValue(k)).join(', ');
        return `unknown key${iss.keys.length > 1 ? 's' : ''} ${keys}; allowed keys: ${allowed}`;
      }
      if (iss.code === 'invalid_type' && iss.input !== undefined) return `expected an object, got ${describeType(iss.input)}`;
      return undefined;
    },
  });
}

/** A closed vocabulary whose error lists what is allowed. */
function vocabulary<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (iss) => (iss.input === undefined ? undefined : `unknown ${what} ${quoteValue(iss.input)}; allowed: ${values.join(', ')}`),
  });
}

/** A list of at least one and at most {@link QUERY_LIMITS.maxListLength} items. */
function list<T extends z.ZodType>(item: T, what: string) {
  return z
    .array(item)
    .min(1, `must list at least one ${what}`)
    .max(QUERY_LIMITS.maxListLength, `must list at most ${QUERY_LIMITS.maxListLength} ${what}s`);
}

const statusValue = z.enum(COUNTABLE_STATUSES, {
  error: (iss) =>
    iss.input === 'withdrawn'
      ? `status 'withdrawn' cannot be queried: withdrawn specimens are never counted; allowed: ${COUNTABLE_STATUSES.join(', ')}`
      : `unknown status ${quoteValue(iss.input)}; allowed: ${COUNTABLE_STATUSES.join(', ')}`,
});

const collectionId = z
  .string()
  .min(1, 'collection id must not be empty')
  .max(QUERY_LIMITS.maxStringLength, `collection id must be at most ${QUERY_LIMITS.maxStringLength} characters`);

/** Set membership, one schema per field so each checks its own vocabulary. */
export const InExprSchema = z.discriminatedUnion(
  'field',
  [
    strictObject({ op: z.literal('in'), field: z.literal('material_type'), values: list(vocabulary(MATERIAL_TYPES, 'material type'), 'value') }),
    strictObject({ op: z.literal('in'), field: z.literal('sex'), values: list(vocabulary(SEXES, 'sex'), 'value') }),
    strictObject({
      op: z.literal('in'),
      field: z.literal('storage_temperature'),
      values: list(vocabulary(STORAGE_TEMPERATURES, 'storage temperature'), 'value'),
    }),
    strictObject({ op: z.literal('in'), field: z.literal('status'), values: list(statusValue, 'value') }),
    strictObject({ op: z.literal('in'), field: z.literal('collection_id'), values: list(collectionId, 'value') }),
  ],
  {
    error: (iss) => {
      if (iss.code !== 'invalid_union') return undefined;
      const field = (iss.input as Record<string, unknown> | undefined)?.['field'];
      const allowed = `allowed: ${IN_FIELDS.join(', ')}`;
      return field === undefined ? `'in' needs a field; ${allowed}` : `unknown field ${quoteValue(field)} for 'in'; ${allowed}`;
    },
  },
);

const age = z
  .number()
  .int('age must be a whole number of years')
  .min(MIN_AGE, `age must be between ${MIN_AGE} and ${MAX_AGE}`)
  .max(MAX_AGE, `age must be between ${MIN_AGE} and ${MAX_AGE}`);

export const AgeRangeExprSchema = strictObject({ op: z.literal('age_range'), min: age.optional(), max: age.optional() }).superRefine(
  (range, ctx) => {
    if (range.min === undefined && range.max === undefined) {
      ctx.addIssue({ code: 'custom', message: 'age_range needs at least one of min and max' });
    } else if (range.min !== undefined && range.max !== undefined && range.min > range.max) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: `min (${range.min}) is greater than max (${range.max})` });
    }
  },
);

const isoDate = z.string().refine(isFullIsoDate, {
  error: (iss) => `${quoteValue(iss.input)} is not a date: expected a full ISO date YYYY-MM-DD that exists in the calendar`,
});

export const DateRangeExprSchema = strictObject({
  op: z.literal('collected_between'),
  from: isoDate.optional(),
  to: isoDate.optional(),
}).superRefine((range, ctx) => {
  if (range.from === undefined && range.to === undefined) {
    ctx.addIssue({ code: 'custom', message: 'collected_between needs at least one of from and to' });
  } else if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    ctx.addIssue({ code: 'custom', path: ['from'], message: `from (${range.from}) is after to (${range.to})` });
  }
});

/** A code in ICD-10 shape, normalised on the way in (`c509` → `C50.9`). */
function codeList(system: string) {
  const code = z.string().transform((raw, ctx) => {
    const normalised = normaliseIcd10(raw);
    if (normalised === null) {
      ctx.addIssue({ code: 'custom', message: `${quoteValue(raw)} is not ${system} code (expected a code like C50 or C50.9)` });
      return z.NEVER;
    }
    return normalised;
  });
  return list(code, 'code');
}

/** ICD-10 codes, ranges of categories and chapters, normalised on the way in (`II` → `C00-D48`). */
const diagnosisTerm = z.string().transform((raw, ctx) => {
  const reading = readIcd10Term(raw);
  if ('problem' in reading) {
    ctx.addIssue({ code: 'custom', message: `${quoteValue(raw)} is not an ICD-10 code, range or chapter: ${reading.problem}` });
    return z.NEVER;
  }
  return reading.term;
});

/** The limit on items applies to the list as sent: a range is one item, however many categories it holds. */
export const DiagnosisExprSchema = strictObject({ op: z.literal('diagnosis'), codes: list(diagnosisTerm, 'code') });

export const AnatomicalSiteExprSchema = strictObject({ op: z.literal('anatomical_site'), codes: codeList('an ICD-O-3 topography') });

const USE_LIST = USE_CATEGORIES.map((code) => `${code} (${duoTerm(code)?.abbreviation ?? '?'})`).join(', ');

export const ConsentExprSchema = strictObject({
  op: z.literal('consent_permits'),
  use: z.string().refine(isUseCategory, {
    error: (iss) => `${quoteValue(iss.input)} is not a DUO use category a query can ask for; allowed: ${USE_LIST}`,
  }),
});

export const MinQuantityExprSchema = strictObject({
  op: z.literal('min_quantity'),
  value: z
    .number({ error: (iss) => (iss.input === undefined ? undefined : `expected a finite number, got ${describeType(iss.input)}`) })
    .min(0, 'min_quantity must not be negative'),
});

/** Every expression: the three connectives and the predicates. */
export const ExprSchema: z.ZodType<Expr> = z.lazy(() =>
  z.discriminatedUnion(
    'op',
    [
      strictObject({ op: z.literal('and'), args: list(ExprSchema, 'argument') }),
      strictObject({ op: z.literal('or'), args: list(ExprSchema, 'argument') }),
      strictObject({ op: z.literal('not'), arg: ExprSchema }),
      InExprSchema,
      AgeRangeExprSchema,
      DateRangeExprSchema,
      DiagnosisExprSchema,
      AnatomicalSiteExprSchema,
      ConsentExprSchema,
      MinQuantityExprSchema,
    ],
    {
      error: (iss) => {
        // The union reports a non-object input as invalid_type, which its issue type does not declare.
        if ((iss.code as string) === 'invalid_type') {
          return iss.input === undefined ? undefined : `expected an expression object, got ${describeType(iss.input)}`;
        }
        if (iss.code !== 'invalid_union') return undefined;
        const op = (iss.input as Record<string, unknown> | undefined)?.['op'];
        const allowed = `expected one of: ${OPS.join(', ')}`;
        return op === undefined ? `expression needs an 'op'; ${allowed}` : `unknown op ${quoteValue(op)}; ${allowed}`;
      },
    },
  ),
);

const stratify = z
  .array(z.string())
  .superRefine((dimensions, ctx) => {
    if (dimensions.length > MAX_DIMENSIONS) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_DIMENSIONS} stratify dimensions are allowed, got ${dimensions.length}` });
    }
    dimensions.forEach((dimension, i) => {
      if (!(DIMENSIONS as readonly string[]).includes(dimension)) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `unknown stratify dimension ${quoteValue(dimension)}; allowed: ${DIMENSIONS.join(', ')}`,
        });
      } else if (dimensions.indexOf(dimension) !== i) {
        ctx.addIssue({ code: 'custom', path: [i], message: `duplicate stratify dimension '${dimension}'` });
      }
    });
    const known = dimensions.filter((d): d is Dimension => (DIMENSIONS as readonly string[]).includes(d));
    const cells = strataCellCount(known);
    if (known.length === dimensions.length && cells > QUERY_LIMITS.maxStrataCells) {
      ctx.addIssue({
        code: 'custom',
        message: `stratifying by ${known.join(' × ')} gives ${cells} cells; at most ${QUERY_LIMITS.maxStrataCells} are allowed`,
      });
    }
  })
  // Checked above with clearer messages; the pipe only narrows the type.
  .pipe(z.array(z.enum(DIMENSIONS)));

/** A whole feasibility query, validated strictly; codes come out normalised. */
export const QuerySchema: z.ZodType<Query> = strictObject({
  unit: vocabulary(UNITS, 'unit'),
  where: ExprSchema.optional(),
  stratify: stratify.optional(),
});

/** Messages for issues no schema above words itself. */
const fallbackMessage: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined ? 'required key is missing' : `expected ${article(iss.expected)}, got ${describeType(iss.input)}`;
    case 'invalid_value':
      if (iss.input === undefined) return 'required key is missing';
      return `must be ${iss.values.map((v) => quoteValue(v)).join(' or ')}, got ${quoteValue(iss.input)}`;
    default:
      return undefined;
  }
};

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function toIssues(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' && issue.keys.length === 1 ? [...issue.path, issue.keys[0] as string] : issue.path;
    const field = formatJsonPath(path);
    return field === '' ? { message: issue.message } : { field, message: issue.message };
  });
}

function invalid(issues: Issue[]): BiospecError {
  const first = issues[0] ? formatIssue(issues[0]) : 'invalid query';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return new BiospecError('INVALID_QUERY', `invalid query: ${first}${more}`, { issues });
}

/**
 * Validates an untrusted value as a {@link Query}. Size and nesting limits are
 * checked first, without recursion, so the schema only ever sees bounded input.
 * Diagnosis and anatomical-site codes come back normalised (`c509` → `C50.9`).
 * @throws BiospecError `INVALID_QUERY` with one located issue per problem.
 */
export function parseQuery(input: unknown): Query {
  const violations = findLimitViolations(input);
  if (violations.length > 0) throw invalid(violations);
  const result = QuerySchema.safeParse(input, { error: fallbackMessage });
  if (!result.success) throw invalid(toIssues(result.error));
  return result.data;
}

/**
 * Parses a query from JSON text of at most `maxBytes` UTF-8 bytes.
 * @throws BiospecError `TOO_LARGE` when the text is over the limit, `INVALID_QUERY`
 * for malformed JSON (with the parser's position) or an invalid query.
 */
export function parseQueryJson(text: string, maxBytes: number = QUERY_LIMITS.maxBytes): Query {
  if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new BiospecError('TOO_LARGE', `query text is larger than ${maxBytes} bytes`);
  }
  const overrun = findJsonNestingOverrun(text);
  if (overrun !== null) {
    throw invalid([{ message: `JSON is nested more than ${QUERY_LIMITS.maxJsonDepth} levels deep (at position ${overrun})` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (reason) {
    const detail = reason instanceof Error ? reason.message : String(reason);
    throw invalid([{ ...lineOf(text, detail), message: `invalid JSON: ${detail}` }]);
  }
  return parseQuery(value);
}

/** The line V8's message points at, when it names a position. */
function lineOf(text: string, detail: string): { line?: number } {
  const position = /at position (\d+)/.exec(detail)?.[1];
  if (position === undefined) return {};
  return { line: text.slice(0, Number(position)).split('\n').length };
}
