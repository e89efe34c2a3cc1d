import { useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api/client.js';
import type { BudgetJson, NodeInfoJson } from '../api/types.js';
import { useApp } from '../app-context.js';
import { ErrorSummary } from '../components/error-summary.js';
import { Progress } from '../components/progress.js';
import { budgetText, statusWord } from '../model/figures.js';

interface PolicySummary {
  threshold?: number;
  rounding?: number;
  noise?: { mechanism?: string; epsilon?: number; sigma?: number; clamp?: number };
  release?: string;
  budget?: { epsilon?: number; windowDays?: number } | null;
}

function policyText(policyJson: string | undefined): string {
  if (!policyJson) return 'not published (the site did not answer)';
  try {
    const p = JSON.parse(policyJson) as PolicySummary;
    const noise =
      p.noise?.mechanism === 'laplace'
        ? `Laplace noise ε=${p.noise.epsilon}`
        : p.noise?.mechanism === 'shrine'
          ? `SHRINE noise σ=${p.noise.sigma} clamped ±${p.noise.clamp}`
          : 'no noise';
    const budget = p.budget ? `budget ε=${p.budget.epsilon} per ${p.budget.windowDays} days` : 'no budget';
    return `threshold ${p.threshold ?? '?'}, rounding ${p.rounding ?? '?'}, ${noise}, ${budget}, answers ${p.release === 'hold' ? 'held for the steward' : 'released automatically'}`;
  } catch {
    return 'unreadable policy';
  }
}

/**
 * The member sites (status, data epoch, noisy size, policy and what it guarantees) and the
 * privacy budget this person has left at each, as the sites reported it with their latest answers.
 */
export function NetworkPage() {
  const { api, history } = useApp();
  const [nodes, setNodes] = useState<NodeInfoJson[] | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    api
      .nodes(abort.signal)
      .then(setNodes)
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(e as Error);
      });
    return () => abort.abort();
  }, [api]);

  // Each site reports the asker's budget with every answer; the newest answer per site is the latest word.
  const budgets = useMemo(() => {
    const latest = new Map<string, { budget: BudgetJson; at: string }>();
    for (const entry of history.list()) {
      for (const site of entry.response.sites ?? []) {
        if (site.budget && !latest.has(site.nodeId)) latest.set(site.nodeId, { budget: site.budget, at: entry.askedAt });
      }
    }
    return latest;
  }, [history]);

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Network and privacy budget</h1>
      <ErrorSummary
        title="Could not list the sites"
        code={error instanceof ApiError ? error.code : undefined}
        items={error ? [{ message: error.message }] : []}
      />
      {nodes === null && error === null && <Progress label="Asking every site to describe itself…" />}
      {nodes !== null && (
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="nodes-caption">
          <table className="data-table data-table--stack" data-testid="nodes-table">
            <caption id="nodes-caption">Member sites</caption>
            <thead>
              <tr>
                <th scope="col">Site</th>
                <th scope="col">Status</th>
                <th scope="col">Data epoch</th>
                <th scope="col">Donors (noisy)</th>
                <th scope="col">Policy</th>
                <th scope="col">Your budget left</th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((node) => {
                const budget = budgets.get(node.nodeId);
                return (
                  <tr key={node.nodeId}>
                    <th scope="row">
                      {node.name || node.nodeId}
                      <span className="cell-note">{node.nodeId}</span>
                    </th>
                    <td data-label="Status">
                      <span className={`badge badge--${statusWord(node.lastStatus).replace(/\s+/g, '-')}`}>{statusWord(node.lastStatus)}</span>
                    </td>
                    <td data-label="Data epoch">{node.dataEpoch ?? '—'}</td>
                    <td data-label="Donors (noisy)">{node.catalogueDonors?.display ?? '—'}</td>
                    <td data-label="Policy">
                      {policyText(node.policyJson)}
                      {node.guarantee && <span className="cell-note">{node.guarantee}</span>}
                    </td>
                    <td data-label="Your budget left" data-testid="budget-cell">
                      {budget ? (
                        <>
                          {budgetText(budget.budget)}
                          <span className="cell-note">as of your question of {new Date(budget.at).toLocaleString('en-GB')}</span>
                        </>
                      ) : (
                        'not known yet: each site reports it with its answers'
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
