/**
 * A small JSON file that lets a LIMS export load without editing it: which
 * source column is which catalogue field, how source values translate, the
 * delimiter, list separator, date layout and text encoding.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BiospecError, type Issue } from '@biospec/protocol';
import { SPECIMEN_FIELDS } from '@biospec/query';
import { DATE_FORMATS } from './partial-date.js';

const field = z.enum(SPECIMEN_FIELDS, {
  error: (issue) => `unknown catalogue field ${JSON.stringify(issue.input)}; allowed: ${SPECIMEN_FIELDS.join(', ')}`,
});

/** The mapping file's schema; every key is optional except `columns`. */
export const columnMappingSchema = z.strictObject({
  /** Cell delimiter, one character (`,` by default; German exports often use `;`). */
  delimiter: z.string().length(1, 'delimiter must be exactly one character').optional(),
  /** Source column name → catalogue field. Source columns named like a field need no entry. */
  columns: z.record(z.string().min(1, 'a source column name is empty'), field),
  /** Source columns that are deliberately not imported (otherwise an unknown column rejects the file). */
  ignoreColumns: z.array(z.string()).optional(),
  /** Per catalogue field: source value → catalogue value (`"Serum": "serum"`), applied to each list item too. */
  values: z.partialRecord(field, z.record(z.string(), z.string())).optional(),
  /** Separator of multi-valued cells (`diagnosis`, `consent`), `;` by default. */
  multiValueSeparator: z.string().min(1, 'multiValueSeparator must not be empty').optional(),
  dateFormat: z
    .enum(DATE_FORMATS, { error: () => `dateFormat must be one of ${DATE_FORMATS.join(', ')}` })
    .optional(),
  encoding: z.enum(['utf-8', 'latin1'], { error: () => 'encoding must be utf-8 or latin1' }).optional(),
});

export type ColumnMapping = z.infer<typeof columnMappingSchema>;

/** Validates a parsed mapping; INVALID_CONFIG naming each bad key. */
export function parseColumnMapping(value: unknown, source = 'column mapping'): ColumnMapping {
  const result = columnMappingSchema.safeParse(value);
  if (result.success) return result.data;
  const issues: Issue[] = result.error.issues.flatMap((issue): Issue[] => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      // At the top level the keys are the mapping's own; below (`values`) they must be catalogue fields.
      const allowed = path === '' ? Object.keys(columnMappingSchema.shape) : SPECIMEN_FIELDS;
      return issue.keys.map((key) => ({
        field: path === '' ? key : `${path}.${key}`,
        message: `unknown ${path === '' ? 'key' : 'catalogue field'} '${key}'; allowed: ${allowed.join(', ')}`,
      }));
    }
    return [path === '' ? { message: issue.message } : { field: path, message: issue.message }];
  });
  const where = issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ');
  throw new BiospecError('INVALID_CONFIG', `invalid ${source}: ${where}`, { issues });
}

/** Reads and validates a mapping file; INVALID_CONFIG for an unreadable file, bad JSON or a bad key. */
export function loadColumnMapping(path: string): ColumnMapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', `cannot read column mapping ${path}: ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', `column mapping ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return parseColumnMapping(json, `column mapping ${path}`);
}
