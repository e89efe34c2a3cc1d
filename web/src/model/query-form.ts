/**
 * The query builder's state and the query it sends. The builder asks for every criterion of the
 * query model (docs/QUERY.md) and joins the ones filled in with `and`; each argument remembers
 * which form field it came from, so an issue the API names by JSON path lands at that field.
 */
import {
  DIMENSION_DOMAINS,
  USE_CATEGORIES,
  canonicalJson,
  canonicalise,
  type Dimension,
  type Expr,
  type MaterialType,
  type Query,
  type Sex,
  type StorageTemperature,
  type Unit,
  type UseCategory,
} from '@biospec/query/browser';

export type CountableStatus = 'available' | 'reserved' | 'depleted';

export interface QueryForm {
  unit: Unit;
  /** ICD-10 items as entered: codes (`C50`), ranges (`C00-C97`) or chapters (`II`). */
  diagnoses: string[];
  materialTypes: MaterialType[];
  sexes: Sex[];
  /** Raw text of the number and date inputs; empty means "no bound". */
  ageMin: string;
  ageMax: string;
  collectedFrom: string;
  collectedTo: string;
  storageTemperatures: StorageTemperature[];
  /** The research purpose (DUO use category) the question is asked for. */
  purpose: UseCategory | '';
  /** Count only specimens whose donors' consent permits the purpose. */
  consentMustPermit: boolean;
  minQuantity: string;
  statuses: CountableStatus[];
  /** ICD-O-3 topography codes, separated by commas or spaces. */
  anatomicalSites: string;
  /** Collection ids, separated by commas. */
  collections: string;
  stratify: Dimension[];
  project: string;
}

/** The form fields an API issue can point at (and `general` for one none of them owns). */
export type FormField =
  | 'unit'
  | 'diagnoses'
  | 'materialTypes'
  | 'sexes'
  | 'age'
  | 'collected'
  | 'storageTemperatures'
  | 'purpose'
  | 'consent'
  | 'minQuantity'
  | 'statuses'
  | 'anatomicalSites'
  | 'collections'
  | 'stratify'
  | 'project'
  | 'general';

export const EMPTY_FORM: QueryForm = {
  unit: 'specimens',
  diagnoses: [],
  materialTypes: [],
  sexes: [],
  ageMin: '',
  ageMax: '',
  collectedFrom: '',
  collectedTo: '',
  storageTemperatures: [],
  purpose: '',
  consentMustPermit: true,
  minQuantity: '',
  statuses: [],
  anatomicalSites: '',
  collections: '',
  stratify: [],
  project: '',
};

/** A query and, for each argument of its `where`, the form field it came from. */
export interface BuiltQuery {
  query: Query;
  sources: FormField[];
}

/** A number input's text as the API should see it: a number when it reads as one, else the text (the API names the field). */
function numberOrText(raw: string): number | string {
  const trimmed = raw.trim();
  const value = Number(trimmed);
  return trimmed !== '' && Number.isFinite(value) ? value : trimmed;
}

function splitList(raw: string): string[] {
  return raw
    .split(/[,;\s]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** The query the form describes, exactly as it will be sent (not yet canonical). */
export function buildQuery(form: QueryForm): BuiltQuery {
  const args: Expr[] = [];
  const sources: FormField[] = [];
  const add = (source: FormField, expr: Expr) => {
    args.push(expr);
    sources.push(source);
  };
  if (form.diagnoses.length > 0) add('diagnoses', { op: 'diagnosis', codes: [...form.diagnoses] });
  if (form.materialTypes.length > 0) add('materialTypes', { op: 'in', field: 'material_type', values: [...form.materialTypes] });
  if (form.sexes.length > 0) add('sexes', { op: 'in', field: 'sex', values: [...form.sexes] });
  if (form.ageMin.trim() !== '' || form.ageMax.trim() !== '') {
    add('age', {
      op: 'age_range',
      ...(form.ageMin.trim() === '' ? {} : { min: numberOrText(form.ageMin) as number }),
      ...(form.ageMax.trim() === '' ? {} : { max: numberOrText(form.ageMax) as number }),
    });
  }
  if (form.collectedFrom.trim() !== '' || form.collectedTo.trim() !== '') {
    add('collected', {
      op: 'collected_between',
      ...(form.collectedFrom.trim() === '' ? {} : { from: form.collectedFrom.trim() }),
      ...(form.collectedTo.trim() === '' ? {} : { to: form.collectedTo.trim() }),
    });
  }
  if (form.storageTemperatures.length > 0) {
    add('storageTemperatures', { op: 'in', field: 'storage_temperature', values: [...form.storageTemperatures] });
  }
  if (form.consentMustPermit && form.purpose !== '') add('consent', { op: 'consent_permits', use: form.purpose });
  if (form.minQuantity.trim() !== '') add('minQuantity', { op: 'min_quantity', value: numberOrText(form.minQuantity) as number });
  if (form.statuses.length > 0) add('statuses', { op: 'in', field: 'status', values: [...form.statuses] });
  const sites = splitList(form.anatomicalSites);
  if (sites.length > 0) add('anatomicalSites', { op: 'anatomical_site', codes: sites });
  const collections = form.collections
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (collections.length > 0) add('collections', { op: 'in', field: 'collection_id', values: collections });

  const where: Expr | undefined = args.length === 0 ? undefined : args.length === 1 ? args[0] : { op: 'and', args };
  const query: Query = {
    unit: form.unit,
    ...(where === undefined ? {} : { where }),
    ...(form.stratify.length === 0 ? {} : { stratify: [...form.stratify] }),
  };
  return { query, sources };
}

/**
 * The canonical form of a built query as the coordinator will sign it, pretty-printed; the
 * coordinator canonicalises the query it receives the same way (`canonicalise` in
 * @biospec/query). Null when the query is not well-formed enough to canonicalise: then
 * the coordinator's check says what is wrong.
 */
export function canonicalPreview(query: Query): string | null {
  try {
    return JSON.stringify(JSON.parse(canonicalJson(canonicalise(query))), null, 2);
  } catch {
    return null;
  }
}

/**
 * The form field an API issue is about. Query issues are JSON paths of the query as sent
 * (`where.args[2].values[0]`, `where.min` when the only criterion is not wrapped in `and`,
 * `stratify`, `unit`); body issues name `purpose` or `project`.
 */
export function fieldOfIssue(field: string | undefined, built: BuiltQuery): FormField {
  if (field === undefined || field === '') return 'general';
  const path = field.replace(/^query\./, '');
  if (path === 'purpose') return 'purpose';
  if (path === 'project') return 'project';
  if (path === 'unit' || path.startsWith('unit.')) return 'unit';
  if (path === 'stratify' || path.startsWith('stratify')) return 'stratify';
  if (path === 'where' || path.startsWith('where')) {
    const indexed = /^where\.args\[(\d+)\]/.exec(path);
    if (indexed) return built.sources[Number(indexed[1])] ?? 'general';
    if (built.sources.length === 1) return built.sources[0] as FormField;
  }
  return 'general';
}

/** How many cells stratifying by `dimensions` gives: the product of their public domains' sizes. */
export function cellCount(dimensions: readonly Dimension[]): number {
  return dimensions.reduce((cells, dimension) => cells * DIMENSION_DOMAINS[dimension].length, 1);
}

/** The purposes a question can be asked for, in the order the model lists them. */
export const PURPOSES: readonly UseCategory[] = USE_CATEGORIES;

/** A question's purpose and query from a saved form, as the API's body wants them. */
export function countBody(form: QueryForm): { query: Query; purpose: string; project: string } {
  return { query: buildQuery(form).query, purpose: form.purpose, project: form.project };
}
