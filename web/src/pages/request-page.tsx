import { useState, type FormEvent } from 'react';
import { duoTerm } from '@biospec/query/browser';
import { ApiError } from '../api/client.js';
import type { AccessRequestViewJson, RequestAction, SiteAction } from '../api/access-types.js';
import { useApp } from '../app-context.js';
import { ApiErrorBox } from '../components/api-error.js';
import { EncryptionKeyField } from '../components/encryption-key-field.js';
import { FieldError } from '../components/field-error.js';
import { Progress } from '../components/progress.js';
import { ReasonAction } from '../components/reason-action.js';
import { useLoad } from '../components/use-load.js';
import { readPublicKeyText } from '../model/encryption-key.js';
import { REASON_REQUIRED, REQUEST_ACTION_LABELS, SITE_ACTION_LABELS, requestActions, siteActions, stateWords } from '../model/access.js';
import { runDetached } from '../run-detached.js';

function when(iso: string): string {
  return new Date(iso).toLocaleString('en-GB');
}

function actorText(actor: { name: string | null; role: string }): string {
  return `${actor.name ?? 'someone'} (${actor.role})`;
}

/**
 * One access request in full: what was asked and why, each site's answer, the grants, the
 * timeline of every transition (who, when, why) and the comments; with the actions this person
 * may take (the researcher's, staff's, or a steward's for their site), each with its reason.
 */
export function RequestPage({ id }: { id: string }) {
  const { api, roles, me } = useApp();
  const loaded = useLoad((signal) => api.call<AccessRequestViewJson>('GET', `/api/v1/access/requests/${encodeURIComponent(id)}`, undefined, signal), [api, id]);
  const [comment, setComment] = useState('');
  const [commentSite, setCommentSite] = useState('');
  const [commentError, setCommentError] = useState<string[]>([]);
  const [sending, setSending] = useState(false);
  const [keyText, setKeyText] = useState('');
  const [keyErrors, setKeyErrors] = useState<string[]>([]);
  const view = loaded.data;

  const saveKey = async (event: FormEvent) => {
    event.preventDefault();
    const key = readPublicKeyText(keyText);
    if ('problem' in key) {
      setKeyErrors([key.problem]);
      return;
    }
    setKeyErrors([]);
    try {
      await api.call('PATCH', `/api/v1/access/requests/${encodeURIComponent(id)}`, { encryptionKey: key.key });
      setKeyText('');
      loaded.reload();
    } catch (error) {
      setKeyErrors(error instanceof ApiError && error.issues.length > 0 ? error.issues.map((i) => i.message) : [(error as Error).message]);
    }
  };

  const act = (action: RequestAction) => (reason: string) =>
    api.call('POST', `/api/v1/access/requests/${encodeURIComponent(id)}/actions/${action}`, reason ? { reason } : {});
  const decide = (nodeId: string, action: SiteAction) => (reason: string) =>
    api.call('POST', `/api/v1/access/requests/${encodeURIComponent(id)}/sites/${encodeURIComponent(nodeId)}/actions/${action}`, reason ? { reason } : {});

  const sendComment = async (event: FormEvent) => {
    event.preventDefault();
    setSending(true);
    setCommentError([]);
    try {
      await api.call('POST', `/api/v1/access/requests/${encodeURIComponent(id)}/comments`, { body: comment, ...(commentSite ? { nodeId: commentSite } : {}) });
      setComment('');
      loaded.reload();
    } catch (error) {
      setCommentError(
        error instanceof ApiError && error.issues.length > 0 ? error.issues.map((i) => `${i.message}: ${error.message}`) : [(error as Error).message],
      );
    } finally {
      setSending(false);
    }
  };

  if (!view) {
    return (
      <section aria-labelledby="page-title">
        <h1 id="page-title">Access request</h1>
        {loaded.loading && <Progress label="Loading the request…" />}
        <ApiErrorBox title="Could not load the request" error={loaded.error} />
      </section>
    );
  }
  const { request, researcher, timeline, comments, grants, deliveries } = view;
  const actions = requestActions(request, roles, me?.personId ?? '');
  const needsKey = request.researcherId === me?.personId && (request.state === 'draft' || request.state === 'returned') && request.encryptionKey === null;
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{request.title}</h1>
      <p>
        <span className={`badge badge--state-${request.state}`} data-testid="request-state">
          {stateWords(request.state)}
        </span>{' '}
        <span className="hint">
          {request.id} · by {researcher.name ?? researcher.personId}
          {researcher.email ? ` (${researcher.email})` : ''} · created {when(request.createdAt)} · updated {when(request.updatedAt)}
        </span>
      </p>
      <ApiErrorBox title="Could not refresh the request" error={loaded.error} />
      {actions.length > 0 && (
        <div className="actions" aria-label="Actions on this request" role="group">
          {actions.map((action) => (
            <ReasonAction
              key={action}
              label={REQUEST_ACTION_LABELS[action]}
              purpose={REQUEST_ACTION_LABELS[action].toLowerCase()}
              reasonRequired={REASON_REQUIRED.has(action)}
              tone={action === 'approve' || action === 'submit' ? 'primary' : action === 'decline' || action === 'abandon' ? 'danger' : 'normal'}
              run={act(action)}
              onDone={loaded.reload}
            />
          ))}
        </div>
      )}

      {needsKey && (
        <section className="panel" aria-labelledby="key-title">
          <h2 id="key-title">Before you submit: your encryption key</h2>
          <form onSubmit={(event) => runDetached(() => saveKey(event))} noValidate>
            <EncryptionKeyField value={keyText} onChange={setKeyText} errors={keyErrors} />
            <button type="submit" className="button button--primary">
              Save the key with the request
            </button>
          </form>
        </section>
      )}

      <section className="panel" aria-labelledby="what-title">
        <h2 id="what-title">What is asked</h2>
        <dl className="facts">
          <dt>Purpose</dt>
          <dd>
            {duoTerm(request.purpose)?.label ?? request.purpose} ({request.purpose})
          </dd>
          <dt>Ethics reference</dt>
          <dd>{request.ethicsReference || 'not given'}</dd>
          <dt>Description</dt>
          <dd className="prose">{request.description || 'none'}</dd>
          <dt>Started from</dt>
          <dd>
            {request.origin.kind === 'availability' ? 'an availability' : 'a count'} answer, query hash <code className="hash">{request.origin.queryHash}</code>
            <details>
              <summary>Canonical query</summary>
              <pre className="code-block" tabIndex={0} aria-label="Canonical query of the request">
                {JSON.stringify(request.origin.query, null, 2)}
              </pre>
            </details>
          </dd>
          {request.attachments.length > 0 && (
            <>
              <dt>Attachments (kept by the researcher; name and SHA-256)</dt>
              <dd>
                <ul className="plain-list">
                  {request.attachments.map((a) => (
                    <li key={a.sha256}>
                      {a.name} <code className="hash">{a.sha256}</code>
                    </li>
                  ))}
                </ul>
              </dd>
            </>
          )}
        </dl>
      </section>

      <section className="panel" aria-labelledby="sites-title">
        <h2 id="sites-title">Sites</h2>
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="sites-caption">
          <table className="data-table data-table--stack" data-testid="request-sites">
            <caption id="sites-caption">Each site's answer</caption>
            <thead>
              <tr>
                <th scope="col">Site</th>
                <th scope="col">Collections asked</th>
                <th scope="col">State</th>
                <th scope="col">Grant</th>
                <th scope="col">Steward's decision</th>
              </tr>
            </thead>
            <tbody>
              {request.sites.map((site) => {
                const grant = grants.find((g) => g.nodeId === site.nodeId && g.revokedAt === null) ?? grants.find((g) => g.nodeId === site.nodeId);
                const mine = siteActions(site, roles);
                return (
                  <tr key={site.nodeId} data-node={site.nodeId}>
                    <th scope="row">{site.nodeId}</th>
                    <td data-label="Collections asked">{site.collections.join(', ')}</td>
                    <td data-label="State">
                      <span className={`badge badge--state-${site.state}`}>{stateWords(site.state)}</span>
                      <span className="cell-note">since {when(site.updatedAt)}</span>
                    </td>
                    <td data-label="Grant">
                      {grant
                        ? grant.revokedAt
                          ? `revoked ${when(grant.revokedAt)}: ${grant.revokeReason ?? ''}`
                          : `signed, valid until ${when(grant.expiresAt)}`
                        : 'none'}
                      {deliveries.filter((d) => d.nodeId === site.nodeId).length > 0 && (
                        <span className="cell-note">detail delivered {deliveries.filter((d) => d.nodeId === site.nodeId).length}×</span>
                      )}
                    </td>
                    <td data-label="Steward's decision">
                      {mine.length === 0 ? (
                        <span className="hint">{request.state === 'approved' ? 'for the site’s steward' : '—'}</span>
                      ) : (
                        <div className="actions actions--stack" role="group" aria-label={`Decisions for ${site.nodeId}`}>
                          {mine.map((action) => (
                            <ReasonAction
                              key={action}
                              label={SITE_ACTION_LABELS[action]}
                              purpose={`${SITE_ACTION_LABELS[action].toLowerCase()} (${site.nodeId})`}
                              reasonRequired={action === 'decline'}
                              tone={action === 'approve' ? 'primary' : action === 'decline' ? 'danger' : 'normal'}
                              run={decide(site.nodeId, action)}
                              onDone={loaded.reload}
                            />
                          ))}
                        </div>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>

      <section className="panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <ol className="timeline" data-testid="timeline">
          {timeline.map((t) => (
            <li key={t.seq}>
              <time dateTime={t.at}>{when(t.at)}</time>{' '}
              <strong>
                {t.nodeId ? `${t.nodeId}: ` : ''}
                {t.from ? `${stateWords(t.from)} → ` : ''}
                {stateWords(t.to)}
              </strong>{' '}
              ({t.action}) by {actorText(t.actor)}
              {t.reason && <span className="timeline-reason">“{t.reason}”</span>}
            </li>
          ))}
        </ol>
      </section>

      <section className="panel" aria-labelledby="comments-title">
        <h2 id="comments-title">Comments</h2>
        {comments.length === 0 ? (
          <p>No comments yet.</p>
        ) : (
          <ul className="comments" data-testid="comments">
            {comments.map((c) => (
              <li key={c.id}>
                <p className="hint">
                  {actorText(c.author)}, {when(c.at)}
                  {c.nodeId ? `, about ${c.nodeId}` : ''}
                </p>
                <p className="prose">{c.body}</p>
              </li>
            ))}
          </ul>
        )}
        <form onSubmit={(event) => runDetached(() => sendComment(event))} noValidate>
          <div className={`field ${commentError.length ? 'field--error' : ''}`}>
            <label htmlFor="comment-body">Add a comment</label>
            <FieldError id="comment-error" messages={commentError} />
            <textarea
              id="comment-body"
              rows={3}
              value={comment}
              aria-invalid={commentError.length ? true : undefined}
              aria-describedby={commentError.length ? 'comment-error' : undefined}
              onChange={(e) => setComment(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="comment-site">About</label>
            <select id="comment-site" value={commentSite} onChange={(e) => setCommentSite(e.target.value)}>
              <option value="">the whole request</option>
              {request.sites.map((s) => (
                <option key={s.nodeId} value={s.nodeId}>
                  site {s.nodeId}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="button" disabled={sending}>
            {sending ? 'Sending…' : 'Add the comment'}
          </button>
        </form>
      </section>
    </section>
  );
}
