/**
 * A node's published collections: a small description file per node (id, name,
 * description, contact, access conditions), imported like the catalogue and public like
 * its policy. The list fixes the collection domain of every availability answer: one cell
 * per published collection and one for specimens in collections the node did not
 * describe, so the shape of an answer depends on the question and this list only.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BiospecError, type Issue } from '@biospec/protocol';
import { QUERY_LIMITS } from '@biospec/query';
import { z } from 'zod';

/** The cell of specimens whose collection the node did not describe. */
export const UNDESCRIBED_COLLECTION = '_undescribed';
/** Most collections one node publishes (with 15 material types, 1,515 cells per answer). */
export const MAX_PUBLISHED_COLLECTIONS = 100;

export interface CollectionContact {
  name?: string;
  email?: string;
}

export interface CollectionDescription {
  /** As specimens name it in `collection_id`. */
  id: string;
  name: string;
  description: string;
  contact: CollectionContact;
  /** Who may get specimens and on what terms, as the institution states it. */
  accessConditions: string;
}

export const CollectionSchema = z
  .object({
    id: z
      .string()
      .min(1, 'collection id is empty')
      .max(QUERY_LIMITS.maxStringLength, `collection id must be at most ${QUERY_LIMITS.maxStringLength} characters`)
      .refine((id) => id !== UNDESCRIBED_COLLECTION, `'${UNDESCRIBED_COLLECTION}' is reserved for specimens of undescribed collections`),
    name: z.string().min(1, 'name is empty').max(200),
    description: z.string().max(4000).default(''),
    contact: z
      .object({ name: z.string().max(200).optional(), email: z.email().max(320).optional() })
      .strict()
      .refine((c) => c.name !== undefined || c.email !== undefined, 'a contact needs a name or an e-mail address'),
    accessConditions: z.string().max(4000).default(''),
  })
  .strict();

/**
 * Checks a whole list: every entry, unique ids, at most {@link MAX_PUBLISHED_COLLECTIONS}.
 * Returns it sorted by id (the order of the availability domain).
 * @throws BiospecError INVALID_DATA with every problem, located by entry (or line) and field.
 */
export function parseCollections(entries: readonly unknown[], locate: (index: number) => Partial<Issue> = (i) => ({ field: `[${i}]` })): CollectionDescription[] {
  const issues: Issue[] = [];
  const seen = new Map<string, number>();
  const list: CollectionDescription[] = [];
  entries.forEach((entry, i) => {
    const where = locate(i);
    const rawId = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
    const first = typeof rawId === 'string' && rawId !== '' ? seen.get(rawId) : undefined;
    if (first !== undefined) {
      issues.push({ ...where, field: [where.field, 'id'].filter(Boolean).join('.'), message: `duplicate collection id '${String(rawId)}' (first at entry ${first + 1})` });
      return;
    }
    if (typeof rawId === 'string' && rawId !== '') seen.set(rawId, i);
    const parsed = CollectionSchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = [where.field, issue.path.map(String).join('.')].filter(Boolean).join('.');
        issues.push({ ...where, ...(field ? { field } : {}), message: issue.message });
      }
      return;
    }
    list.push(parsed.data as CollectionDescription);
  });
  if (entries.length > MAX_PUBLISHED_COLLECTIONS) {
    issues.push({ message: `at most ${MAX_PUBLISHED_COLLECTIONS} collections can be published, got ${entries.length}` });
  }
  if (issues.length > 0) throw new BiospecError('INVALID_DATA', `collection description is invalid: ${issues.length} problem(s)`, { issues });
  return list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const CSV_COLUMNS = ['id', 'name', 'description', 'contact_name', 'contact_email', 'access_conditions'] as const;

/**
 * Reads a collection description file: JSON (a list, or `{"collections": [...]}`) or CSV
 * with the columns `id, name, description, contact_name, contact_email, access_conditions`.
 * @throws BiospecError INVALID_DATA naming the file, line and field of each problem.
 */
export function readCollectionFile(file: string): CollectionDescription[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw new BiospecError('NOT_FOUND', `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  const inFile = (error: unknown): never => {
    if (error instanceof BiospecError) throw new BiospecError(error.code, `${file}: ${error.message}`, { issues: error.issues });
    throw error;
  };
  try {
    if (path.extname(file).toLowerCase() === '.csv') return parseCollectionCsv(text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new BiospecError('INVALID_DATA', `not JSON: ${(cause as Error).message}`);
    }
    const entries = Array.isArray(json) ? json : (json as { collections?: unknown })?.collections;
    if (!Array.isArray(entries)) throw new BiospecError('INVALID_DATA', 'expected a list of collections, or {"collections": [...]}');
    return parseCollections(entries);
  } catch (error) {
    return inFile(error);
  }
}

/** A CSV collection description: header line, then one collection per line (line numbers in issues). */
export function parseCollectionCsv(text: string): CollectionDescription[] {
  const rows = parseCsv(text);
  const header = rows[0]?.cells.map((c) => c.trim());
  if (header === undefined) throw new BiospecError('INVALID_DATA', 'the file is empty');
  const missing = ['id', 'name'].filter((c) => !header.includes(c));
  const unknown = header.filter((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
  if (missing.length > 0 || unknown.length > 0) {
    throw new BiospecError('INVALID_DATA', 'the header is not a collection description', {
      issues: [
        ...missing.map((c) => ({ line: 1, field: c, message: `missing column ${c}` })),
        ...unknown.map((c) => ({ line: 1, field: c, message: `unknown column ${c}; columns are ${CSV_COLUMNS.join(', ')}` })),
      ],
    });
  }
  const body = rows.slice(1).filter((r) => r.cells.some((c) => c.trim() !== ''));
  const entries = body.map((row) => {
    const value = (column: string) => {
      const at = header.indexOf(column);
      const cell = at < 0 ? undefined : row.cells[at]?.trim();
      return cell === '' ? undefined : cell;
    };
    const contactName = value('contact_name');
    const contactEmail = value('contact_email');
    return {
      id: value('id') ?? '',
      name: value('name') ?? '',
      ...(value('description') === undefined ? {} : { description: value('description') }),
      contact: { ...(contactName === undefined ? {} : { name: contactName }), ...(contactEmail === undefined ? {} : { email: contactEmail }) },
      ...(value('access_conditions') === undefined ? {} : { accessConditions: value('access_conditions') }),
    };
  });
  return parseCollections(entries, (i) => ({ line: body[i]!.line }));
}

/** RFC 4180 CSV: quoted fields may hold commas, line breaks and doubled quotes. */
function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] as string;
    if (quoted) {
      if (ch === '"' && source[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === '') {
      quoted = true;
    } else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && source[i + 1] === '\n') i++;
      cells.push(cell);
      rows.push({ line: rowLine, cells });
      cells = [];
      cell = '';
      line++;
      rowLine = line;
    } else {
      cell += ch;
    }
  }
  if (quoted) throw new BiospecError('INVALID_DATA', `line ${rowLine}: a quoted field is not closed`, { issues: [{ line: rowLine, message: 'unclosed quote' }] });
  if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    rows.push({ line: rowLine, cells });
  }
  return rows;
}

/** Hex SHA-256 of a published list (sorted by id): what answers and noise keying name. */
export function collectionsDigest(list: readonly CollectionDescription[]): string {
  const sorted = [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // One fixed shape, whatever key order the entries were built with.
  const canonical = sorted.map((c) => [c.id, c.name, c.description, c.contact.name ?? null, c.contact.email ?? null, c.accessConditions]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** The collection domain of availability answers: every published id in order, then the undescribed cell. */
export function availabilityCollectionDomain(list: readonly CollectionDescription[]): string[] {
  return [...[...list].map((c) => c.id).sort(), UNDESCRIBED_COLLECTION];
}
