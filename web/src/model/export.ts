/**
 * What a researcher takes away from a result: the signed bundle (the same format as
 * `biospec query --save`, checked offline by `biospec verify`) and a CSV of every figure,
 * each row saying how it was protected.
 */
import type { FederatedCountJson, NodeJwksJson, ReleasedFigureJson } from '../api/types.js';
import { protectionMark, statusWord } from './figures.js';

/** A saved result bundle (`ResultBundleSchema` in @biospec/trust). */
export interface ResultBundle {
  version: 1;
  query_hash: string;
  canonical_query: unknown;
  created_at: string;
  sites: { node_id: string; status: string; signed_result?: string }[];
  jwks: NodeJwksJson;
}

export function toResultBundle(response: FederatedCountJson, jwks: NodeJwksJson, createdAt: Date): ResultBundle {
  return {
    version: 1,
    query_hash: response.queryHash,
    canonical_query: JSON.parse(response.canonicalQueryJson) as unknown,
    created_at: createdAt.toISOString(),
    sites: (response.sites ?? []).map((s) => ({
      node_id: s.nodeId,
      status: statusWord(s.status),
      ...(s.signedResult ? { signed_result: s.signedResult } : {}),
    })),
    jwks,
  };
}

const CSV_COLUMNS = [
  'scope',
  'node_id',
  'node_name',
  'status',
  'stratum',
  'display',
  'protection',
  'released_value',
  'threshold',
  'rounding',
  'mechanism',
  'epsilon',
  'latency_ms',
  'data_epoch',
  'cost_epsilon',
  'charged_epsilon',
  'budget_remaining',
  'budget_total',
  'message',
] as const;

type Row = Partial<Record<(typeof CSV_COLUMNS)[number], string | number | undefined>>;

/** RFC 4180 field: quoted when it holds a comma, quote or line break; a leading =, +, - or @ is defused for spreadsheets. */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@]/.test(text) && !/^-?\d/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function figureColumns(figure: ReleasedFigureJson | undefined): Row {
  const d = figure?.disclosure;
  return {
    display: figure?.display ?? '',
    protection: protectionMark(figure),
    released_value: figure?.value,
    threshold: d?.threshold,
    rounding: d?.rounding,
    mechanism: d?.mechanism,
    epsilon: d?.epsilon,
  };
}

function stratumText(key: Record<string, string> | undefined): string {
  return Object.entries(key ?? {})
    .map(([dimension, value]) => `${dimension}=${value}`)
    .join('; ');
}

/**
 * One row for the merged total, one per site, one per merged stratum cell and one per site's
 * stratum cell. `released_value` is the number the node released (noisy or rounded as
 * `protection` says), empty when none was; `display` is the node's own wording.
 */
export function toCsv(response: FederatedCountJson): string {
  const rows: Row[] = [];
  const total = response.total;
  rows.push({
    scope: 'merged',
    display: total?.display ?? '',
    protection: total?.exact ? 'exact' : 'protected',
    released_value: total?.releasedSum ?? 0,
    message: `up to ${total?.withheldMax ?? 0} more at ${total?.sitesBelowThreshold ?? 0} sites below threshold`,
  });
  for (const stratum of response.strata ?? []) {
    rows.push({
      scope: 'merged-stratum',
      stratum: stratumText(stratum.key),
      display: stratum.total?.display ?? '',
      protection: stratum.total?.exact ? 'exact' : 'protected',
      released_value: stratum.total?.releasedSum ?? 0,
      message: `up to ${stratum.total?.withheldMax ?? 0} more at ${stratum.total?.sitesBelowThreshold ?? 0} sites below threshold`,
    });
  }
  for (const site of response.sites ?? []) {
    const common: Row = { node_id: site.nodeId, node_name: site.nodeName ?? '', status: statusWord(site.status) };
    rows.push({
      scope: 'site',
      ...common,
      ...figureColumns(site.total),
      latency_ms: site.latencyMs ?? 0,
      data_epoch: site.dataEpoch,
      cost_epsilon: site.cost ?? 0,
      charged_epsilon: site.charged ?? 0,
      budget_remaining: site.budget?.remaining,
      budget_total: site.budget?.total,
      message: site.message,
    });
    for (const stratum of site.strata ?? []) {
      rows.push({ scope: 'site-stratum', ...common, stratum: stratumText(stratum.key), ...figureColumns(stratum.figure) });
    }
  }
  const lines = [CSV_COLUMNS.join(','), ...rows.map((row) => CSV_COLUMNS.map((c) => csvField(row[c])).join(','))];
  return lines.join('\r\n') + '\r\n';
}
