import { FederatedCountResponse, SiteStatus, siteStatusToJSON, type SiteResult } from '@biospec/protocol';

const STATUS_TEXT: Record<SiteStatus, string> = {
  [SiteStatus.SITE_STATUS_UNSPECIFIED]: '?',
  [SiteStatus.SITE_STATUS_OK]: 'ok',
  [SiteStatus.SITE_STATUS_TIMEOUT]: 'timeout',
  [SiteStatus.SITE_STATUS_UNREACHABLE]: 'unreachable',
  [SiteStatus.SITE_STATUS_ERROR]: 'error',
  [SiteStatus.SITE_STATUS_REJECTED]: 'rejected',
  [SiteStatus.SITE_STATUS_HELD]: 'held',
  [SiteStatus.SITE_STATUS_BUSY]: 'busy',
  [SiteStatus.SITE_STATUS_WARMING_UP]: 'warming up',
  [SiteStatus.UNRECOGNIZED]: '?',
};

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** "retry in 250 ms" / "retry in 1.5 s": the node's own hint, for a busy or warming-up site. */
function retryHint(ms: number): string {
  return ms < 1000 ? `retry in ${ms} ms` : `retry in ${(ms / 1000).toFixed(1)} s`;
}

function siteFigure(site: SiteResult): string {
  if (site.status === SiteStatus.SITE_STATUS_OK) return site.total?.display ?? '';
  if (site.status === SiteStatus.SITE_STATUS_BUSY) {
    return site.retryAfterMs > 0 ? `node busy; ${retryHint(site.retryAfterMs)}` : 'node busy';
  }
  if (site.status === SiteStatus.SITE_STATUS_WARMING_UP && site.retryAfterMs > 0) return `${site.message}; ${retryHint(site.retryAfterMs)}`;
  return site.message;
}

function budgetLeft(site: SiteResult): string {
  if (!site.budget) return '';
  return `ε ${site.budget.remaining.toFixed(1)} of ${site.budget.total.toFixed(1)}`;
}

/** The per-site table `biospec query` prints; protected figures keep their protection in the text. */
export function formatFederatedResult(response: FederatedCountResponse): string {
  const rows = [
    ['SITE', 'NAME', 'STATUS', 'LATENCY', 'BUDGET LEFT', `${response.unit.toUpperCase()}`],
    ...response.sites.map((s) => [s.nodeId, s.nodeName, STATUS_TEXT[s.status] ?? siteStatusToJSON(s.status), `${s.latencyMs} ms`, budgetLeft(s), siteFigure(s)]),
    ['TOTAL', '', '', `${response.elapsedMs} ms`, '', response.total?.display ?? ''],
  ];
  const lines = [`query ${response.queryHash.slice(0, 12)}  ${response.canonicalQueryJson}`, '', table(rows)];
  if (response.strata.length > 0) {
    const keys = Object.keys(response.strata[0]!.key);
    lines.push('', table([[...keys.map((k) => k.toUpperCase()), 'TOTAL'], ...response.strata.map((s) => [...keys.map((k) => s.key[k] ?? ''), s.total?.display ?? ''])]));
  }
  return lines.join('\n');
}

/** `60` → `1 min`, `36000` → `10 h`: a window as people say it. */
export function duration(seconds: number): string {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60]] as const) if (seconds % size === 0) return `${seconds / size} ${unit}`;
  return `${seconds} s`;
}
