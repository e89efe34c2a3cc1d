/** Something mapped with a loss, or a problem that blocks nothing: reported, never an error. */
export interface FhirWarning {
  /** What kind of warning, for the summary. */
  kind: string;
  /** The resource (`Specimen/x`). */
  ref: string;
  /** FHIRPath of the element concerned. */
  field?: string;
  message: string;
}

/** What a FHIR import saw besides the rows it produced, for the operator's report. */
export interface FhirImportStats {
  /** Files read as one export. */
  files: number;
  /** Donor updates the import states (Patients, Conditions, Consents), one per donor it names. */
  donors: { updated: number };
  /** Warnings by kind, with up to {@link EXAMPLES} examples each. */
  warnings: Record<string, { count: number; examples: string[] }>;
  /** Active Consents that grant no DUO use (unmapped or non-research policy codes), with examples. */
  unmappedConsents: { count: number; examples: string[] };
  /** Resources read, per resourceType (every type, mapped or not). */
  resources: Record<string, number>;
  /** Types this importer does not map (Observation, Encounter …), with up to {@link EXAMPLES} references each. */
  unmapped: Record<string, { count: number; examples: string[] }>;
  /** Bundles read, per Bundle.type. */
  bundles: Record<string, number>;
  specimens: {
    /** Specimens that became records. */
    mapped: number;
    /** Specimens reported with issues instead. */
    withIssues: number;
    /** Specimens with status entered-in-error, skipped. */
    enteredInError: number;
  };
  /** Consents whose status is not `active`, which grant nothing. */
  ignoredConsents: { count: number; byStatus: Record<string, number>; examples: string[] };
  /** Conditions whose verification status is refuted or entered-in-error. */
  ignoredConditions: number;
  /** Bundle entries without a resource (e.g. a transaction's DELETE). */
  entriesWithoutResource: number;
  /** Patients, Conditions and Consents reported with issues that block (their donor has specimens in the import). */
  otherResourcesWithIssues: number;
}

/** How many example references a stats list keeps. */
export const EXAMPLES = 10;

export function emptyStats(): FhirImportStats {
  return {
    files: 0,
    donors: { updated: 0 },
    warnings: {},
    unmappedConsents: { count: 0, examples: [] },
    resources: {},
    unmapped: {},
    bundles: {},
    specimens: { mapped: 0, withIssues: 0, enteredInError: 0 },
    ignoredConsents: { count: 0, byStatus: {}, examples: [] },
    ignoredConditions: 0,
    entriesWithoutResource: 0,
    otherResourcesWithIssues: 0,
  };
}

export function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

export function addExample(examples: string[], ref: string): void {
  if (examples.length < EXAMPLES) examples.push(ref);
}

/** Counts a warning in `stats` by its kind, keeping the first examples. */
export function countWarning(stats: FhirImportStats, warning: FhirWarning): void {
  const kind = (stats.warnings[warning.kind] ??= { count: 0, examples: [] });
  kind.count += 1;
  addExample(kind.examples, `${warning.ref}${warning.field ? ` ${warning.field}` : ''}: ${warning.message}`);
}
