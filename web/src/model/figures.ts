/**
 * How the UI shows released figures. The rule (docs/PRIVACY.md): a protected figure is never
 * shown as exact. Text always comes from the node's own `display` string ("about 80 (noisy,
 * Laplace ε=0.1, rounded to 10)", "<10"); marks say how it was protected; charts draw a
 * below-threshold figure as the range it may lie in and a noisy one with its noise interval.
 */
import type { BudgetJson, DisclosureJson, MergedTotalJson, ReleasedFigureJson, SiteStatusName } from '../api/types.js';

const STATUS_WORDS: Record<SiteStatusName, string> = {
  SITE_STATUS_UNSPECIFIED: 'unknown',
  SITE_STATUS_OK: 'ok',
  SITE_STATUS_TIMEOUT: 'timeout',
  SITE_STATUS_UNREACHABLE: 'unreachable',
  SITE_STATUS_ERROR: 'error',
  SITE_STATUS_REJECTED: 'rejected',
  SITE_STATUS_HELD: 'held',
  SITE_STATUS_BUSY: 'busy',
  SITE_STATUS_WARMING_UP: 'warming up',
};

/** A site status as the CLI and docs word it: `ok`, `unreachable`, `warming up` … */
export function statusWord(status: SiteStatusName | undefined): string {
  return STATUS_WORDS[status ?? 'SITE_STATUS_UNSPECIFIED'] ?? 'unknown';
}

/** Whether a site's status means it answered with figures. */
export function answered(site: { status?: SiteStatusName | undefined }): boolean {
  return site.status === 'SITE_STATUS_OK';
}

export type Protection = 'exact' | 'below-threshold' | 'rounded' | 'noisy' | 'held' | 'none';

export function protectionOf(figure: ReleasedFigureJson | undefined): Protection {
  switch (figure?.disclosure?.kind) {
    case 'DISCLOSURE_KIND_EXACT':
      return 'exact';
    case 'DISCLOSURE_KIND_BELOW_THRESHOLD':
      return 'below-threshold';
    case 'DISCLOSURE_KIND_ROUNDED':
      return 'rounded';
    case 'DISCLOSURE_KIND_NOISY':
      return 'noisy';
    case 'DISCLOSURE_KIND_HELD':
      return 'held';
    default:
      return 'none';
  }
}

/**
 * Half-width of the interval that holds 95 % of discrete Laplace noise of scale `b`
 * (`P(Z = z) ∝ exp(−|z|/b)`): the smallest x with P(|Z| ≤ x) ≥ 0.95, from
 * P(|Z| > x) = 2·e^(−(x+1)/b) / (1 + e^(−1/b)). docs/PRIVACY.md tabulates the same figure.
 */
export function laplaceHalfWidth95(b: number): number {
  if (!(b > 0)) return 0;
  return Math.max(0, Math.ceil(-b * Math.log(0.025 * (1 + Math.exp(-1 / b)))) - 1);
}

/** How far a released figure may be from the true count because of noise, before rounding; null without noise. */
export function noiseHalfWidth(disclosure: DisclosureJson | undefined): number | null {
  if (disclosure?.mechanism === 'laplace' && (disclosure.noiseScale ?? 0) > 0) return laplaceHalfWidth95(disclosure.noiseScale as number);
  if (disclosure?.mechanism === 'shrine' && (disclosure.clamp ?? 0) > 0) return disclosure.clamp as number;
  return null;
}

/** A short mark for a figure: `noisy`, `rounded`, `below threshold`, `exact`, `held`. */
export function protectionMark(figure: ReleasedFigureJson | undefined): string {
  const p = protectionOf(figure);
  return p === 'below-threshold' ? 'below threshold' : p === 'none' ? 'no figure' : p;
}

/** One sentence on how a figure was protected, from its disclosure metadata alone. */
export function protectionDetail(figure: ReleasedFigureJson | undefined): string {
  const d = figure?.disclosure;
  const rounding = (d?.rounding ?? 1) > 1 ? `, rounded to ${d?.rounding}` : '';
  switch (protectionOf(figure)) {
    case 'exact':
      return 'released unchanged (the node publishes exact counts)';
    case 'below-threshold':
      return `the protected figure is under the node's threshold of ${d?.threshold ?? '?'}: no number is released`;
    case 'rounded':
      return `true count rounded to ${d?.rounding ?? '?'}`;
    case 'noisy': {
      const half = noiseHalfWidth(d);
      if (d?.mechanism === 'laplace') {
        return `discrete Laplace noise, ε=${d.epsilon ?? '?'} per figure (95 % of such figures lie within ±${half} of the truth before rounding)${rounding}`;
      }
      if (d?.mechanism === 'shrine') {
        return `SHRINE-style noise, σ=${d.sigma ?? '?'} clamped to ±${d.clamp ?? '?'}${rounding}; no formal privacy guarantee`;
      }
      return `noisy (${d?.mechanism ?? 'unknown mechanism'})${rounding}`;
    }
    case 'held':
      return "held for the site steward's review";
    case 'none':
      return 'no figure';
  }
}

/** What a chart may draw for one figure. */
export type Bar =
  | { kind: 'value'; value: number; approximate: boolean; halfWidth: number | null }
  | { kind: 'below'; upTo: number }
  | { kind: 'none' };

export function barOf(figure: ReleasedFigureJson | undefined): Bar {
  const p = protectionOf(figure);
  if (p === 'below-threshold') return { kind: 'below', upTo: Math.max(0, (figure?.disclosure?.threshold ?? 1) - 1) };
  if (figure?.value === undefined || p === 'held' || p === 'none') return { kind: 'none' };
  return { kind: 'value', value: figure.value, approximate: p !== 'exact', halfWidth: noiseHalfWidth(figure.disclosure) };
}

/** A chart label for a figure: `≈ 80` for a protected value, `< 10` below threshold, the number only when exact. */
export function barLabel(figure: ReleasedFigureJson | undefined): string {
  const bar = barOf(figure);
  if (bar.kind === 'below') return `< ${bar.upTo + 1}`;
  if (bar.kind === 'none') return figure?.display ?? '—';
  return bar.approximate ? `≈ ${bar.value.toLocaleString('en')}` : bar.value.toLocaleString('en');
}

/** The merged total's bounds: the sum sites released, and that plus what below-threshold sites may hold. */
export interface MergedBounds {
  released: number;
  upper: number;
  sitesBelowThreshold: number;
  exact: boolean;
}

export function boundsOf(total: MergedTotalJson | undefined): MergedBounds {
  const released = total?.releasedSum ?? 0;
  return { released, upper: released + (total?.withheldMax ?? 0), sitesBelowThreshold: total?.sitesBelowThreshold ?? 0, exact: total?.exact ?? false };
}

/** "ε 49.9 of 50 left over 30 days" */
export function budgetText(budget: BudgetJson | undefined): string {
  if (budget === undefined || (budget.total ?? 0) === 0) return 'no budget at this site';
  const window = budget.windowDays ? ` over ${budget.windowDays} days` : '';
  return `ε ${round(budget.remaining ?? 0)} of ${round(budget.total ?? 0)} left${window}`;
}

function round(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/** "ε 0.1 (charged 0.1)", "ε 0.1 (repeat: charged 0)", "no ε" */
export function costText(site: { cost?: number | undefined; charged?: number | undefined }): string {
  const cost = site.cost ?? 0;
  const charged = site.charged ?? 0;
  if (cost === 0) return 'no ε';
  return charged === 0 ? `ε ${round(cost)} (repeat: charged 0)` : `ε ${round(cost)} (charged ${round(charged)})`;
}
