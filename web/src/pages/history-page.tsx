import { useState } from 'react';
import { useApp } from '../app-context.js';
import { questionTitle } from '../model/describe.js';
import { statusWord } from '../model/figures.js';
import { href, navigate } from '../routing.js';

/** The questions this person asked from this browser, newest first. */
export function HistoryPage() {
  const { history, setForm } = useApp();
  const [entries, setEntries] = useState(() => history.list());
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Question history</h1>
      <p className="hint">Kept in this browser for your account only. The sites keep their own audit logs of every question.</p>
      {entries.length === 0 ? (
        <p>
          No questions yet. <a href={href('query')}>Ask one</a>.
        </p>
      ) : (
        <>
          <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="history-caption">
            <table className="data-table data-table--stack" data-testid="history-table">
              <caption id="history-caption">Your questions, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Asked</th>
                  <th scope="col">Question</th>
                  <th scope="col">Project</th>
                  <th scope="col">Network figure</th>
                  <th scope="col">Sites</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((entry) => (
                  <tr key={entry.id}>
                    <td data-label="Asked">{new Date(entry.askedAt).toLocaleString('en-GB')}</td>
                    <th scope="row">
                      <a href={href('results', entry.id)}>{questionTitle(entry.form)}</a>
                    </th>
                    <td data-label="Project">{entry.form.project}</td>
                    <td data-label="Network figure">{entry.response.total?.display ?? 'no site answered'}</td>
                    <td data-label="Sites">{(entry.response.sites ?? []).map((s) => `${s.nodeId}: ${statusWord(s.status)}`).join(', ')}</td>
                    <td data-label="Actions">
                      <button
                        type="button"
                        className="button button--small"
                        onClick={() => {
                          setForm(entry.form);
                          navigate('query');
                        }}
                      >
                        Ask again
                        <span className="visually-hidden"> ({questionTitle(entry.form)})</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <button
            type="button"
            className="button button--quiet"
            onClick={() => {
              history.clear();
              setEntries([]);
            }}
          >
            Clear this browser's history
          </button>
        </>
      )}
    </section>
  );
}
