import fs from 'node:fs';
import { BiospecError } from '@biospec/protocol';
import { DUO_TERMS, parseQuery, type Expr, type Query } from '@biospec/query';

/** Flags of `biospec query` that describe the question. */
export interface QueryFlags {
  queryJson?: string;
  queryFile?: string;
  unit?: string;
  material?: string;
  diagnosis?: string;
  sex?: string;
  age?: string;
  collected?: string;
  consent?: string;
  status?: string;
  minQuantity?: string;
  collection?: string;
  stratify?: string;
}

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/** `HMB`, `hmb` or `DUO:0000006` → `DUO:0000006`; anything else is passed on for the schema to reject. */
export function duoCode(value: string): string {
  const term = DUO_TERMS.find((t) => t.abbreviation.toLowerCase() === value.toLowerCase());
  return term ? term.code : value;
}

function range(flag: string, value: string, separator: string): [string | undefined, string | undefined] {
  const parts = value.split(separator);
  if (parts.length !== 2) {
    throw new BiospecError('INVALID_QUERY', `--${flag} takes FROM${separator}TO (either side may be empty), got '${value}'`);
  }
  return [parts[0] || undefined, parts[1] || undefined];
}

/** Builds the query AST from flags, or reads it from --query-json / --query-file; validates it either way. */
export function queryFromFlags(flags: QueryFlags): Query {
  if (flags.queryJson || flags.queryFile) {
    const text = flags.queryJson ?? fs.readFileSync(flags.queryFile as string, 'utf8');
    try {
      return parseQuery(JSON.parse(text));
    } catch (cause) {
      if (cause instanceof BiospecError) throw cause;
      throw new BiospecError('INVALID_QUERY', `query is not JSON: ${(cause as Error).message}`, { cause });
    }
  }
  const args: Expr[] = [];
  const push = (e: unknown) => args.push(e as Expr);
  if (flags.material) push({ op: 'in', field: 'material_type', values: list(flags.material) });
  if (flags.sex) push({ op: 'in', field: 'sex', values: list(flags.sex) });
  if (flags.status) push({ op: 'in', field: 'status', values: list(flags.status) });
  if (flags.collection) push({ op: 'in', field: 'collection_id', values: list(flags.collection) });
  if (flags.diagnosis) push({ op: 'diagnosis', codes: list(flags.diagnosis) });
  if (flags.age) {
    const [min, max] = range('age', flags.age, '-');
    push({ op: 'age_range', ...(min ? { min: Number(min) } : {}), ...(max ? { max: Number(max) } : {}) });
  }
  if (flags.collected) {
    const [from, to] = range('collected', flags.collected, '..');
    push({ op: 'collected_between', ...(from ? { from } : {}), ...(to ? { to } : {}) });
  }
  if (flags.consent) push({ op: 'consent_permits', use: duoCode(flags.consent) });
  if (flags.minQuantity) push({ op: 'min_quantity', value: Number(flags.minQuantity) });
  const query: Record<string, unknown> = { unit: flags.unit ?? 'specimens' };
  if (args.length === 1) query.where = args[0];
  if (args.length > 1) query.where = { op: 'and', args };
  if (flags.stratify) query.stratify = list(flags.stratify);
  return parseQuery(query);
}
