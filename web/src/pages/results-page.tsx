import { useMemo } from 'react';
import { duoTerm } from '@biospec/query/browser';
import type { FederatedCountJson, SiteResultJson } from '../api/types.js';
import { useApp } from '../app-context.js';
import { BarChart, type ChartRow } from '../components/bar-chart.js';
import { download } from '../components/download.js';
import { questionTitle } from '../model/describe.js';
import { toCsv, toResultBundle } from '../model/export.js';
import { answered, barLabel, barOf, boundsOf, budgetText, costText, protectionDetail, protectionMark, protectionOf, statusWord } from '../model/figures.js';
import type { HistoryEntry } from '../model/history.js';
import { cellKey, cellLabel } from '../model/strata.js';
import { href, navigate } from '../routing.js';

function siteName(site: SiteResultJson): string {
  return site.nodeName || site.nodeId;
}

function StatusBadge({ site }: { site: SiteResultJson }) {
  const word = statusWord(site.status);
  return <span className={`badge badge--${word.replace(/\s+/g, '-')}`}>{word}</span>;
}

function MergedTotal({ response }: { response: FederatedCountJson }) {
  const bounds = boundsOf(response.total);
  const answering = (response.sites ?? []).filter(answered).length;
  return (
    <section className="panel merged" aria-labelledby="merged-title">
      <h2 id="merged-title">Across the network</h2>
      <p className="merged-figure" data-testid="merged-display">
        {response.total?.display ?? 'no site answered'}
      </p>
      <dl className="bounds" data-testid="merged-bounds">
        <div>
          <dt>Released by the sites</dt>
          <dd>{bounds.exact ? bounds.released.toLocaleString('en') : `about ${bounds.released.toLocaleString('en')}`}</dd>
        </div>
        <div>
          <dt>Sites below threshold</dt>
          <dd>
            {bounds.sitesBelowThreshold === 0
              ? 'none'
              : `${bounds.sitesBelowThreshold}, holding up to ${(bounds.upper - bounds.released).toLocaleString('en')} more together`}
          </dd>
        </div>
        <div>
          <dt>Bounds of the released figures</dt>
          <dd>
            {bounds.upper === bounds.released
              ? bounds.exact
                ? `exactly ${bounds.released.toLocaleString('en')}`
                : `about ${bounds.released.toLocaleString('en')}`
              : `from about ${bounds.released.toLocaleString('en')} to about ${bounds.upper.toLocaleString('en')}`}
          </dd>
        </div>
        <div>
          <dt>Sites that answered</dt>
          <dd>
            {answering} of {(response.sites ?? []).length}
          </dd>
        </div>
      </dl>
      <p className="hint">
        {bounds.exact
          ? 'Every answering site released an exact figure.'
          : 'Not an exact count: each site added noise, rounded or withheld its figure before releasing it. The bounds are bounds of what was released, not of the true count.'}
      </p>
    </section>
  );
}

function SitesTable({ sites }: { sites: readonly SiteResultJson[] }) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="sites-title">
      <table className="data-table data-table--stack" data-testid="sites-table">
        <caption id="sites-title">Answers per site</caption>
        <thead>
          <tr>
            <th scope="col">Site</th>
            <th scope="col">Status</th>
            <th scope="col">Figure</th>
            <th scope="col">Protection</th>
            <th scope="col">Latency</th>
            <th scope="col">Data epoch</th>
            <th scope="col">Cost</th>
            <th scope="col">Budget left</th>
          </tr>
        </thead>
        <tbody>
          {sites.map((site) => (
            <tr key={site.nodeId} data-node={site.nodeId}>
              <th scope="row">
                {siteName(site)}
                <span className="cell-note">{site.nodeId}</span>
              </th>
              <td data-label="Status">
                <StatusBadge site={site} />
                {site.message && <span className="cell-note">{site.message}</span>}
                {(site.retryAfterMs ?? 0) > 0 && <span className="cell-note">retry in {Math.ceil((site.retryAfterMs ?? 0) / 1000)} s</span>}
              </td>
              <td className="figure" data-label="Figure" data-testid="site-figure">
                {answered(site) || site.status === 'SITE_STATUS_HELD' ? (site.total?.display ?? '—') : '—'}
              </td>
              <td data-label="Protection">
                {answered(site) || site.status === 'SITE_STATUS_HELD' ? (
                  <>
                    <span className={`mark mark--${protectionOf(site.total)}`}>{protectionMark(site.total)}</span>
                    <span className="cell-note">{protectionDetail(site.total)}</span>
                  </>
                ) : (
                  'no figure'
                )}
              </td>
              <td data-label="Latency">{site.latencyMs ?? 0} ms</td>
              <td data-label="Data epoch">{answered(site) ? (site.dataEpoch ?? 0) : '—'}</td>
              <td data-label="Cost">{answered(site) || site.status === 'SITE_STATUS_HELD' ? costText(site) : '—'}</td>
              <td data-label="Budget left">
                {site.budget ? budgetText(site.budget) : 'not reported'}
                {site.budget?.renewsAt && <span className="cell-note">some returns {new Date(site.budget.renewsAt).toLocaleString('en-GB')}</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function siteRows(sites: readonly SiteResultJson[]): ChartRow[] {
  return sites.map((site) => ({
    label: siteName(site),
    bar: answered(site) ? barOf(site.total) : { kind: 'none' },
    text: answered(site) ? barLabel(site.total) : statusWord(site.status),
  }));
}

function Strata({ response, order }: { response: FederatedCountJson; order: readonly string[] }) {
  const sites = (response.sites ?? []).filter(answered);
  const bySite = useMemo(
    () => new Map(sites.map((s) => [s.nodeId, new Map((s.strata ?? []).map((cell) => [cellKey(cell.key), cell.figure]))])),
    [sites],
  );
  const merged = response.strata ?? [];
  const rows: ChartRow[] = merged.map((cell) => {
    const b = boundsOf(cell.total);
    return {
      label: cellLabel(cell.key, order),
      bar: b.released > 0 ? { kind: 'value', value: b.released, approximate: !b.exact, halfWidth: null } : { kind: 'none' },
      upper: b.upper,
      text:
        b.upper > b.released
          ? b.released === 0
            ? `≤ ${b.upper}`
            : `≈ ${b.released}, ≤ ${b.upper}`
          : b.exact
            ? String(b.released)
            : `≈ ${b.released}`,
    };
  });
  return (
    <section aria-labelledby="strata-title" className="panel">
      <h2 id="strata-title">By stratum</h2>
      <p className="hint">
        Every cell of the breakdown is listed, empty or not: each site releases every cell, each protected on its own. Merged figures add what
        sites released; the outlined part is what below-threshold sites may add.
      </p>
      {rows.length <= 60 ? (
        <BarChart
          id="strata-chart"
          title="Merged figure per stratum"
          description={`One bar per stratum cell (${rows.length} cells): the sum the sites released, with an outline up to the bound for sites below threshold.`}
          rows={rows}
        />
      ) : (
        <p className="notice">The chart is drawn for up to 60 cells; this breakdown has {rows.length}. Every cell is in the table.</p>
      )}
      <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="strata-table-title">
        <table className="data-table" data-testid="strata-table">
          <caption id="strata-table-title">Every stratum cell, merged and per site</caption>
          <thead>
            <tr>
              <th scope="col">Cell</th>
              <th scope="col">Network</th>
              {sites.map((s) => (
                <th scope="col" key={s.nodeId}>
                  {siteName(s)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {merged.map((cell) => {
              const key = cellKey(cell.key);
              return (
                <tr key={key}>
                  <th scope="row">{cellLabel(cell.key, order)}</th>
                  <td>{cell.total?.display ?? 'no site answered'}</td>
                  {sites.map((s) => {
                    const figure = bySite.get(s.nodeId)?.get(key);
                    return (
                      <td key={s.nodeId} title={figure ? protectionDetail(figure) : undefined}>
                        {figure?.display ?? '—'}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function ResultView({ entry }: { entry: HistoryEntry }) {
  const { response, form } = entry;
  const sites = response.sites ?? [];
  const stamp = entry.askedAt.replace(/[:.]/g, '-');
  const order = (JSON.parse(response.canonicalQueryJson) as { stratify?: string[] }).stratify ?? form.stratify;
  return (
    <>
      <p className="question-title" data-testid="question-title">
        {questionTitle(form)}
      </p>
      <p className="hint">
        Asked {new Date(entry.askedAt).toLocaleString('en-GB')} for project <strong>{form.project}</strong>, purpose{' '}
        {duoTerm(form.purpose)?.abbreviation ?? form.purpose}; answered in {response.elapsedMs ?? 0} ms.
      </p>
      <div className="actions">
        <button
          type="button"
          className="button button--primary"
          onClick={() =>
            download(`biospec-result-${stamp}.bundle.json`, JSON.stringify(toResultBundle(response, entry.jwks, new Date(entry.askedAt)), null, 2) + '\n', 'application/json')
          }
        >
          Download signed bundle (JSON)
        </button>
        <button type="button" className="button" onClick={() => download(`biospec-result-${stamp}.csv`, toCsv(response), 'text/csv')}>
          Download CSV
        </button>
      </div>
      <p className="hint">
        The bundle holds every site's signed answer and the sites' public keys: check it offline with <code>biospec verify FILE</code>.
      </p>
      <MergedTotal response={response} />
      <section className="panel" aria-labelledby="per-site-title">
        <h2 id="per-site-title">Per site</h2>
        <BarChart
          id="sites-chart"
          title="Figure per site"
          description="One bar per site. Hatched: below the site's threshold, any value in the band. Whiskers: where 95 % of noisy figures lie around the truth. Sites that did not answer have no bar."
          rows={siteRows(sites)}
        />
        <SitesTable sites={sites} />
      </section>
      {(response.strata ?? []).length > 0 && <Strata response={response} order={order} />}
      <details className="panel">
        <summary>Canonical query and hash</summary>
        <p>
          Query hash <code className="hash">{response.queryHash}</code>
        </p>
        <pre className="code-block" tabIndex={0} aria-label="Canonical query the sites answered">
          {JSON.stringify(JSON.parse(response.canonicalQueryJson), null, 2)}
        </pre>
      </details>
    </>
  );
}

export function ResultsPage({ id }: { id: string }) {
  const { history, setForm } = useApp();
  const entry = history.get(id);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Results</h1>
      {entry ? (
        <>
          <ResultView entry={entry} />
          <div className="actions">
            <a className="button button--primary" href={href('availability', entry.id)}>
              Which collections have them? Request access
            </a>
            <button
              type="button"
              className="button"
              onClick={() => {
                setForm(entry.form);
                navigate('query');
              }}
            >
              Ask again or change this question
            </button>
          </div>
        </>
      ) : (
        <p>
          This result is not in this browser's history. <a href={href('history')}>See your history</a>.
        </p>
      )}
    </section>
  );
}
