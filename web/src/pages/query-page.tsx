import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import {
  DIMENSIONS,
  DIMENSION_DOMAINS,
  MATERIAL_TYPES,
  MATERIAL_TYPE_LABELS,
  QUERY_LIMITS,
  SEXES,
  SEX_LABELS,
  STORAGE_TEMPERATURES,
  STORAGE_TEMPERATURE_LABELS,
  STATUS_LABELS,
  duoTerm,
  type Dimension,
  type Unit,
  type UseCategory,
} from '@biospec/query/browser';
import { ApiError } from '../api/client.js';
import type { NodeInfoJson } from '../api/types.js';
import { useApp } from '../app-context.js';
import { CheckboxGroup } from '../components/checkbox-group.js';
import { DiagnosisPicker } from '../components/diagnosis-picker.js';
import { ErrorSummary, type SummaryItem } from '../components/error-summary.js';
import { FieldError } from '../components/field-error.js';
import { Progress } from '../components/progress.js';
import { buildQuery, canonicalPreview, cellCount, fieldOfIssue, PURPOSES, type CountableStatus, type FormField, type QueryForm } from '../model/query-form.js';
import { navigate } from '../routing.js';
import { runDetached } from '../run-detached.js';

export const DIMENSION_LABELS: Record<Dimension, string> = {
  material_type: 'Material type',
  sex: 'Sex',
  age_band: 'Age band',
  diagnosis_chapter: 'Diagnosis chapter (ICD-10)',
  storage_temperature: 'Storage temperature',
};

const UNIT_CHOICES: readonly { value: Unit; label: string; hint: string }[] = [
  { value: 'donors', label: 'Donors', hint: 'distinct people with at least one matching specimen' },
  { value: 'specimens', label: 'Specimens', hint: 'distinct primary specimens; an aliquot counts as the specimen it came from' },
  { value: 'aliquots', label: 'Aliquots', hint: 'every matching tube, aliquots and derivatives included' },
];

/** Where each form field's first focusable element is, for the error summary's links. */
const FIELD_TARGETS: Record<Exclude<FormField, 'general'>, string> = {
  unit: 'unit-donors',
  diagnoses: 'diagnoses',
  materialTypes: 'materialTypes',
  sexes: 'sexes',
  age: 'age-min',
  collected: 'collected-from',
  storageTemperatures: 'storageTemperatures',
  purpose: 'purpose',
  consent: 'consent',
  minQuantity: 'min-quantity',
  statuses: 'statuses',
  anatomicalSites: 'anatomical-sites',
  collections: 'collections',
  stratify: 'stratify',
  project: 'project',
};

/** How the error summary names each field. */
const FIELD_LABELS: Record<Exclude<FormField, 'general'>, string> = {
  unit: 'What to count',
  diagnoses: 'Diagnosis',
  materialTypes: 'Material type',
  sexes: 'Donor sex',
  age: 'Age at collection',
  collected: 'Collection date',
  storageTemperatures: 'Storage temperature',
  purpose: 'Purpose',
  consent: 'Consent',
  minQuantity: 'Minimum quantity',
  statuses: 'Specimen status',
  anatomicalSites: 'Anatomical site',
  collections: 'Collection ids',
  stratify: 'Strata',
  project: 'Project',
};

type FieldErrors = Partial<Record<FormField, string[]>>;

function purposeLabel(code: UseCategory): string {
  const term = duoTerm(code);
  return term ? `${term.abbreviation}: ${term.label} (${code})` : code;
}

export function QueryPage() {
  const { api, form, setForm, history } = useApp();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [summary, setSummary] = useState<{ items: SummaryItem[]; code?: string }>({ items: [] });
  const [running, setRunning] = useState<AbortController | null>(null);
  const [nodes, setNodes] = useState<NodeInfoJson[] | null>(null);
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    const abort = new AbortController();
    api
      .nodes(abort.signal)
      .then(setNodes)
      .catch(() => setNodes(null));
    return () => {
      mounted.current = false;
      abort.abort();
    };
  }, [api]);

  const built = useMemo(() => buildQuery(form), [form]);
  const canonical = useMemo(() => canonicalPreview(built.query), [built]);
  const cells = cellCount(form.stratify);
  const update = (patch: Partial<QueryForm>) => setForm({ ...form, ...patch });
  const errorsOf = (field: FormField) => errors[field] ?? [];
  const describedBy = (field: FormField, ...others: string[]) =>
    [...others, errorsOf(field).length > 0 ? `${FIELD_TARGETS[field as Exclude<FormField, 'general'>]}-error` : ''].filter(Boolean).join(' ') || undefined;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (running) return;
    const abort = new AbortController();
    setRunning(abort);
    setErrors({});
    setSummary({ items: [] });
    try {
      const [response, jwks] = await Promise.all([
        api.count({ query: built.query, purpose: form.purpose, project: form.project }, abort.signal),
        api.nodeJwks(abort.signal),
      ]);
      const entry = history.add({ askedAt: new Date().toISOString(), form, response, jwks });
      navigate('results', entry.id);
    } catch (error) {
      if (!mounted.current || (error as Error).name === 'AbortError') return;
      if (error instanceof ApiError) {
        const byField: FieldErrors = {};
        const items: SummaryItem[] = [];
        for (const issue of error.issues) {
          const field = fieldOfIssue(issue.field, built);
          (byField[field] ??= []).push(issue.message);
          items.push(
            field === 'general'
              ? { message: `${issue.field ? `${issue.field}: ` : ''}${issue.message}` }
              : { message: `${FIELD_LABELS[field]}: ${issue.message}`, target: FIELD_TARGETS[field] },
          );
        }
        if (items.length === 0) items.push({ message: error.message });
        setErrors(byField);
        setSummary({ items, code: error.code });
      } else {
        setSummary({ items: [{ message: (error as Error).message }] });
      }
    } finally {
      if (mounted.current) setRunning(null);
    }
  };

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Ask a feasibility question</h1>
      <p className="lede">
        Each site counts its own catalogue and protects the figure with its own policy before anything leaves it. The question is sent as the
        canonical query shown beside the form.
      </p>
      <ErrorSummary title="The coordinator did not accept the question" code={summary.code} items={summary.items} />
      <form className="query-layout" onSubmit={(event) => runDetached(() => submit(event))} noValidate aria-describedby="query-form-note">
        <div className="query-form">
          <p id="query-form-note" className="hint">
            Criteria you fill in are combined with AND; within one criterion any of the chosen values matches.
          </p>

          <fieldset className={`field ${errorsOf('unit').length ? 'field--error' : ''}`} aria-describedby={describedBy('unit')}>
            <legend>What to count</legend>
            <FieldError id="unit-donors-error" messages={errorsOf('unit')} />
            <div className="choices">
              {UNIT_CHOICES.map((choice) => (
                <div className="choice" key={choice.value}>
                  <input
                    type="radio"
                    name="unit"
                    id={`unit-${choice.value}`}
                    value={choice.value}
                    checked={form.unit === choice.value}
                    onChange={() => update({ unit: choice.value })}
                  />
                  <label htmlFor={`unit-${choice.value}`}>
                    {choice.label} <span className="choice-note">{choice.hint}</span>
                  </label>
                </div>
              ))}
            </div>
          </fieldset>

          <DiagnosisPicker id="diagnoses" items={form.diagnoses} onChange={(diagnoses) => update({ diagnoses })} errors={errorsOf('diagnoses')} />

          <CheckboxGroup
            id="materialTypes"
            legend="Material type"
            choices={MATERIAL_TYPES.map((m) => ({ value: m, label: MATERIAL_TYPE_LABELS[m] }))}
            selected={form.materialTypes}
            onChange={(materialTypes) => update({ materialTypes })}
            errors={errorsOf('materialTypes')}
            columns
          />

          <CheckboxGroup
            id="sexes"
            legend="Donor sex"
            choices={SEXES.map((s) => ({ value: s, label: SEX_LABELS[s] }))}
            selected={form.sexes}
            onChange={(sexes) => update({ sexes })}
            errors={errorsOf('sexes')}
          />

          <fieldset className={`field ${errorsOf('age').length ? 'field--error' : ''}`} aria-describedby={describedBy('age', 'age-hint')}>
            <legend>Age at collection (years)</legend>
            <p className="hint" id="age-hint">
              Inclusive; leave a bound empty for none. Specimens of unknown age do not match.
            </p>
            <FieldError id="age-min-error" messages={errorsOf('age')} />
            <div className="inline-fields">
              <div>
                <label htmlFor="age-min">From</label>
                <input id="age-min" type="number" inputMode="numeric" min={0} max={150} className="input--short" value={form.ageMin} onChange={(e) => update({ ageMin: e.target.value })} aria-invalid={errorsOf('age').length ? true : undefined} />
              </div>
              <div>
                <label htmlFor="age-max">To</label>
                <input id="age-max" type="number" inputMode="numeric" min={0} max={150} className="input--short" value={form.ageMax} onChange={(e) => update({ ageMax: e.target.value })} aria-invalid={errorsOf('age').length ? true : undefined} />
              </div>
            </div>
          </fieldset>

          <fieldset className={`field ${errorsOf('collected').length ? 'field--error' : ''}`} aria-describedby={describedBy('collected', 'collected-hint')}>
            <legend>Collection date</legend>
            <p className="hint" id="collected-hint">
              Inclusive. A specimen whose date is known only to the month or year matches when every day it may denote is in the range.
            </p>
            <FieldError id="collected-from-error" messages={errorsOf('collected')} />
            <div className="inline-fields">
              <div>
                <label htmlFor="collected-from">From</label>
                <input id="collected-from" type="date" value={form.collectedFrom} onChange={(e) => update({ collectedFrom: e.target.value })} aria-invalid={errorsOf('collected').length ? true : undefined} />
              </div>
              <div>
                <label htmlFor="collected-to">To</label>
                <input id="collected-to" type="date" value={form.collectedTo} onChange={(e) => update({ collectedTo: e.target.value })} aria-invalid={errorsOf('collected').length ? true : undefined} />
              </div>
            </div>
          </fieldset>

          <CheckboxGroup
            id="storageTemperatures"
            legend="Storage temperature"
            choices={STORAGE_TEMPERATURES.map((t) => ({ value: t, label: STORAGE_TEMPERATURE_LABELS[t] }))}
            selected={form.storageTemperatures}
            onChange={(storageTemperatures) => update({ storageTemperatures })}
            errors={errorsOf('storageTemperatures')}
            columns
          />

          <fieldset className={`field ${errorsOf('purpose').length || errorsOf('consent').length ? 'field--error' : ''}`}>
            <legend>Research purpose and consent</legend>
            <label htmlFor="purpose">Purpose of the research (DUO) <span className="required">required</span></label>
            <p className="hint" id="purpose-hint">
              Sent with the question to every site and recorded in their audit logs.
            </p>
            <FieldError id="purpose-error" messages={errorsOf('purpose')} />
            <select
              id="purpose"
              value={form.purpose}
              aria-required="true"
              aria-describedby={describedBy('purpose', 'purpose-hint')}
              aria-invalid={errorsOf('purpose').length ? true : undefined}
              onChange={(e) => update({ purpose: e.target.value as UseCategory | '' })}
            >
              <option value="">Choose a purpose</option>
              {PURPOSES.map((code) => (
                <option key={code} value={code}>
                  {purposeLabel(code)}
                </option>
              ))}
            </select>
            <FieldError id="consent-error" messages={errorsOf('consent')} />
            <div className="choice">
              <input
                type="checkbox"
                id="consent"
                checked={form.consentMustPermit}
                aria-describedby={describedBy('consent', 'consent-hint')}
                onChange={(e) => update({ consentMustPermit: e.target.checked })}
              />
              <label htmlFor="consent">Count only specimens whose donors' consent permits this purpose</label>
            </div>
            <p className="hint" id="consent-hint">
              Consent follows the DUO hierarchy: consent for general research use also permits health/medical research.
            </p>
          </fieldset>

          <details className="more-criteria" open={Boolean(form.minQuantity || form.statuses.length || form.anatomicalSites || form.collections) || undefined}>
            <summary>Availability, anatomical site and collections</summary>
            <div className={`field ${errorsOf('minQuantity').length ? 'field--error' : ''}`}>
              <label htmlFor="min-quantity">Minimum quantity left</label>
              <p className="hint" id="min-quantity-hint">
                Aliquots or amount left in the specimen record.
              </p>
              <FieldError id="min-quantity-error" messages={errorsOf('minQuantity')} />
              <input
                id="min-quantity"
                type="number"
                min={0}
                className="input--short"
                value={form.minQuantity}
                aria-describedby={describedBy('minQuantity', 'min-quantity-hint')}
                aria-invalid={errorsOf('minQuantity').length ? true : undefined}
                onChange={(e) => update({ minQuantity: e.target.value })}
              />
            </div>
            <CheckboxGroup
              id="statuses"
              legend="Specimen status"
              hint="Withdrawn specimens are never counted."
              choices={(['available', 'reserved', 'depleted'] as const).map((s) => ({ value: s as CountableStatus, label: STATUS_LABELS[s] }))}
              selected={form.statuses}
              onChange={(statuses) => update({ statuses })}
              errors={errorsOf('statuses')}
            />
            <div className={`field ${errorsOf('anatomicalSites').length ? 'field--error' : ''}`}>
              <label htmlFor="anatomical-sites">Anatomical site (ICD-O-3 topography codes)</label>
              <p className="hint" id="anatomical-sites-hint">
                Separate codes with commas, e.g. C50, C34.1. A code includes more specific ones.
              </p>
              <FieldError id="anatomical-sites-error" messages={errorsOf('anatomicalSites')} />
              <input
                id="anatomical-sites"
                type="text"
                spellCheck={false}
                value={form.anatomicalSites}
                aria-describedby={describedBy('anatomicalSites', 'anatomical-sites-hint')}
                aria-invalid={errorsOf('anatomicalSites').length ? true : undefined}
                onChange={(e) => update({ anatomicalSites: e.target.value })}
              />
            </div>
            <div className={`field ${errorsOf('collections').length ? 'field--error' : ''}`}>
              <label htmlFor="collections">Collection ids</label>
              <p className="hint" id="collections-hint">
                Separate ids with commas.
              </p>
              <FieldError id="collections-error" messages={errorsOf('collections')} />
              <input
                id="collections"
                type="text"
                spellCheck={false}
                value={form.collections}
                aria-describedby={describedBy('collections', 'collections-hint')}
                aria-invalid={errorsOf('collections').length ? true : undefined}
                onChange={(e) => update({ collections: e.target.value })}
              />
            </div>
          </details>

          <CheckboxGroup
            id="stratify"
            legend="Break the counts down by (strata)"
            hint={`At most 3 dimensions and ${QUERY_LIMITS.maxStrataCells} cells. Every cell is released and protected on its own; a stratified question costs more privacy budget.`}
            choices={DIMENSIONS.map((d) => ({
              value: d,
              label: DIMENSION_LABELS[d],
              note: `(${DIMENSION_DOMAINS[d].length} values)`,
              disabled: !form.stratify.includes(d) && form.stratify.length >= 3,
            }))}
            selected={form.stratify}
            onChange={(stratify) => update({ stratify })}
            errors={errorsOf('stratify')}
          />
          {form.stratify.length > 0 && (
            <p className={cells > QUERY_LIMITS.maxStrataCells ? 'notice notice--warning' : 'notice'}>
              {cells} cells{cells > QUERY_LIMITS.maxStrataCells ? `: more than the ${QUERY_LIMITS.maxStrataCells} a question may have` : ''}.
            </p>
          )}

          <div className={`field ${errorsOf('project').length ? 'field--error' : ''}`}>
            <label htmlFor="project">
              Project <span className="required">required</span>
            </label>
            <p className="hint" id="project-hint">
              A short name for your study; sites record it with the question for their stewards.
            </p>
            <FieldError id="project-error" messages={errorsOf('project')} />
            <input
              id="project"
              type="text"
              value={form.project}
              aria-required="true"
              aria-describedby={describedBy('project', 'project-hint')}
              aria-invalid={errorsOf('project').length ? true : undefined}
              onChange={(e) => update({ project: e.target.value })}
            />
          </div>

          <FieldError id="general-error" messages={errorsOf('general')} />
          <div className="actions">
            <button type="submit" className="button button--primary" disabled={running !== null}>
              Ask the network
            </button>
            <button type="button" className="button button--quiet" onClick={() => setForm({ ...form, ...RESET })}>
              Clear criteria
            </button>
          </div>
          {running && <Progress label={`Asking ${nodes ? `${nodes.length} sites` : 'the sites'}…`} onCancel={() => running.abort()} />}
        </div>

        <aside className="query-preview" aria-labelledby="preview-title">
          <h2 id="preview-title">Canonical query</h2>
          <p className="hint">What the coordinator will sign and send to each site; equal questions have one canonical form and one hash.</p>
          <pre className="code-block" tabIndex={0} aria-label="Canonical query JSON" data-testid="canonical-query">
            {canonical ?? JSON.stringify(built.query, null, 2)}
          </pre>
          {canonical === null && <p className="notice notice--warning">This query is not well-formed yet; the coordinator will say what to fix.</p>}
          {form.stratify.length > 0 && <p className="hint">{cells} strata cells will be released by each site.</p>}
        </aside>
      </form>
    </section>
  );
}

const RESET: Partial<QueryForm> = {
  diagnoses: [],
  materialTypes: [],
  sexes: [],
  ageMin: '',
  ageMax: '',
  collectedFrom: '',
  collectedTo: '',
  storageTemperatures: [],
  minQuantity: '',
  statuses: [],
  anatomicalSites: '',
  collections: '',
  stratify: [],
};
