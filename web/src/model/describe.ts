/** A question in words, for result headings and the history list. */
import { MATERIAL_TYPE_LABELS, SEX_LABELS, STATUS_LABELS, STORAGE_TEMPERATURE_LABELS, duoTerm } from '@biospec/query/browser';
import type { QueryForm } from './query-form.js';

const STRATA_WORDS: Record<string, string> = {
  material_type: 'material type',
  sex: 'sex',
  age_band: 'age band',
  diagnosis_chapter: 'diagnosis chapter',
  storage_temperature: 'storage temperature',
};

function bounds(from: string, to: string, unit = ''): string {
  if (from && to) return `${from}–${to}${unit}`;
  return from ? `from ${from}${unit}` : `up to ${to}${unit}`;
}

export function describeForm(form: QueryForm): string[] {
  const parts: string[] = [];
  if (form.diagnoses.length) parts.push(`diagnosis ${form.diagnoses.join(' or ')}`);
  if (form.materialTypes.length) parts.push(form.materialTypes.map((m) => MATERIAL_TYPE_LABELS[m]).join(' or '));
  if (form.sexes.length) parts.push(`${form.sexes.map((s) => SEX_LABELS[s].toLowerCase()).join(' or ')} donors`);
  if (form.ageMin || form.ageMax) parts.push(`aged ${bounds(form.ageMin, form.ageMax)}`);
  if (form.collectedFrom || form.collectedTo) parts.push(`collected ${bounds(form.collectedFrom, form.collectedTo)}`);
  if (form.storageTemperatures.length) parts.push(`stored at ${form.storageTemperatures.map((t) => STORAGE_TEMPERATURE_LABELS[t]).join(' or ')}`);
  if (form.consentMustPermit && form.purpose) parts.push(`consent permits ${duoTerm(form.purpose)?.abbreviation ?? form.purpose}`);
  if (form.minQuantity) parts.push(`at least ${form.minQuantity} left`);
  if (form.statuses.length) parts.push(form.statuses.map((s) => STATUS_LABELS[s].toLowerCase()).join(' or '));
  if (form.anatomicalSites) parts.push(`site ${form.anatomicalSites}`);
  if (form.collections) parts.push(`collections ${form.collections}`);
  return parts;
}

/** "Specimens: diagnosis C50, Tissue (FFPE), female donors, aged 40–60 — by sex" */
export function questionTitle(form: QueryForm): string {
  const unit = form.unit.charAt(0).toUpperCase() + form.unit.slice(1);
  const parts = describeForm(form);
  const strata = form.stratify.length ? ` — by ${form.stratify.map((d) => STRATA_WORDS[d] ?? d).join(', ')}` : '';
  return `${unit}: ${parts.length ? parts.join(', ') : 'all (no criteria)'}${strata}`;
}
