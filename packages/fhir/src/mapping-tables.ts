/**
 * The code tables the importer maps with, kept as data in `../mappings/`
 * (each file names its source and version) and validated when loaded: the
 * SNOMED CT and HL7 v2-0487 specimen types, and the MII Broad Consent policy
 * codes with the DUO uses they permit. An institution can replace the consent
 * table with its own file (`biospec node import --consent-map`).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BiospecError } from '@biospec/protocol/core';
import { MATERIAL_TYPES, duoTerm, type MaterialType } from '@biospec/query/model';

const header = {
  about: z.string().min(1),
  system: z.string().min(1),
  sources: z.array(z.string().min(1)).min(1),
  version: z.string().min(1),
};

const materialTableSchema = z
  .object({
    ...header,
    aliases: z.array(z.string()).optional(),
    codes: z.record(z.string().min(1), z.object({ material_type: z.enum(MATERIAL_TYPES), display: z.string().min(1) }).strict()),
  })
  .strict();

const consentTableSchema = z
  .object({
    ...header,
    codes: z.record(
      z.string().min(1),
      z
        .object({
          duo: z.array(z.string().refine((code) => duoTerm(code) !== undefined, 'not a known DUO code')),
          display: z.string().min(1),
        })
        .strict(),
    ),
  })
  .strict();

export type MaterialTable = z.infer<typeof materialTableSchema>;
export type ConsentTable = z.infer<typeof consentTableSchema>;

/** Where the shipped tables live: `mappings/` beside `src/` and `dist/`. */
export const MAPPINGS_DIR = new URL('../mappings/', import.meta.url);

function load<T>(file: string | URL, schema: z.ZodType<T>, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', `cannot read the ${what} ${String(file)}: ${(cause as Error).message}`, { cause });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new BiospecError('INVALID_CONFIG', `the ${what} ${String(file)} is invalid`, {
      issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message })),
    });
  }
  return parsed.data;
}

export function loadMaterialTable(file: string | URL): MaterialTable {
  return load(file, materialTableSchema, 'specimen type table');
}

/** A Broad Consent → DUO table; the shipped one unless `file` names another. */
export function loadConsentTable(file?: string | URL): ConsentTable {
  return load(file ?? new URL('mii-broad-consent-duo.json', MAPPINGS_DIR), consentTableSchema, 'consent mapping');
}

/** The shipped tables, loaded once. */
export const SNOMED_TABLE = loadMaterialTable(new URL('snomed-ct-specimen-types.json', MAPPINGS_DIR));
export const HL7_V2_0487_TABLE = loadMaterialTable(new URL('hl7-v2-0487-specimen-types.json', MAPPINGS_DIR));

/** code → material type of a table. */
export function materialsOf(table: MaterialTable): Readonly<Record<string, MaterialType>> {
  return Object.fromEntries(Object.entries(table.codes).map(([code, { material_type }]) => [code, material_type]));
}
