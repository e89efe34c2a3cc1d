import { useMemo, useState, type FormEvent } from 'react';
import { MATERIAL_TYPE_LABELS, duoTerm } from '@biospec/query/browser';
import { ApiError } from '../api/client.js';
import type { AccessRequestViewJson, FederatedAvailabilityJson, SiteAvailabilityJson } from '../api/access-types.js';
import { useApp } from '../app-context.js';
import { ApiErrorBox } from '../components/api-error.js';
import { ErrorSummary, type SummaryItem } from '../components/error-summary.js';
import { EncryptionKeyField } from '../components/encryption-key-field.js';
import { FieldError } from '../components/field-error.js';
import { Progress } from '../components/progress.js';
import { useLoad } from '../components/use-load.js';
import { questionTitle } from '../model/describe.js';
import { answered, budgetText, costText, protectionDetail, statusWord } from '../model/figures.js';
import { readPublicKeyText } from '../model/encryption-key.js';
import { buildQuery } from '../model/query-form.js';
import { href, navigate } from '../routing.js';
import { runDetached } from '../run-detached.js';

/** The cell of specimens in collections a node did not describe: counted, but not a collection one can ask for. */
const UNDESCRIBED = '_undescribed';

type RequestField = 'title' | 'description' | 'ethicsReference' | 'purpose' | 'collections' | 'encryptionKey' | 'general';

function requestFieldOf(field: string | undefined): RequestField {
  const head = (field ?? '').split(/[.[]/)[0] ?? '';
  return head === 'title' || head === 'description' || head === 'ethicsReference' || head === 'purpose' || head === 'collections' || head === 'encryptionKey'
    ? head
    : 'general';
}

function SiteCollections({ site, chosen, toggle }: { site: SiteAvailabilityJson; chosen: ReadonlySet<string>; toggle: (key: string, on: boolean) => void }) {
  const name = site.nodeName || site.nodeId;
  if (!answered(site)) {
    return (
      <section className="panel" aria-label={name}>
        <h2>{name}</h2>
        <p>
          <span className={`badge badge--${statusWord(site.status).replace(/\s+/g, '-')}`}>{statusWord(site.status)}</span> {site.message}
        </p>
      </section>
    );
  }
  return (
    <section className="panel" aria-labelledby={`site-${site.nodeId}`} data-node={site.nodeId}>
      <h2 id={`site-${site.nodeId}`}>{name}</h2>
      <p className="hint">
        Available specimens at this site: <strong>{site.total?.display ?? '—'}</strong> · {costText(site)} · {budgetText(site.budget)} · data epoch{' '}
        {site.dataEpoch ?? 0}
      </p>
      <div className="table-scroll" tabIndex={0} role="region" aria-label={`Collections at ${name}`}>
        <table className="data-table data-table--stack">
          <caption>Collections at {name}</caption>
          <thead>
            <tr>
              <th scope="col">Ask</th>
              <th scope="col">Collection</th>
              <th scope="col">Available specimens</th>
              <th scope="col">By material</th>
            </tr>
          </thead>
          <tbody>
            {(site.collections ?? []).map((collection) => {
              const key = `${site.nodeId}/${collection.collectionId}`;
              const described = collection.collectionId !== UNDESCRIBED;
              const label = described ? collection.name || collection.collectionId : 'Specimens in collections the site has not described';
              return (
                <tr key={key}>
                  <td data-label="Ask">
                    {described ? (
                      <input
                        type="checkbox"
                        id={`ask-${key}`}
                        aria-label={`Ask for ${label} at ${name}`}
                        checked={chosen.has(key)}
                        onChange={(event) => toggle(key, event.target.checked)}
                      />
                    ) : (
                      '—'
                    )}
                  </td>
                  <th scope="row">
                    {label}
                    {collection.description && <span className="cell-note">{collection.description}</span>}
                    {collection.accessConditions && <span className="cell-note">Access conditions: {collection.accessConditions}</span>}
                    {(collection.contactName || collection.contactEmail) && (
                      <span className="cell-note">
                        Contact: {collection.contactName} {collection.contactEmail && <a href={`mailto:${collection.contactEmail}`}>{collection.contactEmail}</a>}
                      </span>
                    )}
                  </th>
                  <td data-label="Available specimens">{collection.total?.display ?? '—'}</td>
                  <td data-label="By material">
                    <details>
                      <summary>Every material ({(collection.materials ?? []).length})</summary>
                      <ul className="plain-list">
                        {(collection.materials ?? []).map((cell) => {
                          const material = cell.key?.material_type ?? '';
                          return (
                            <li key={material} title={protectionDetail(cell.figure)}>
                              {MATERIAL_TYPE_LABELS[material as keyof typeof MATERIAL_TYPE_LABELS] ?? material}: {cell.figure?.display ?? '—'}
                            </li>
                          );
                        })}
                      </ul>
                    </details>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * Which collections hold matching specimens that are available, asked for a question from the
 * history; the researcher picks collections and starts an access request from them.
 */
export function AvailabilityPage({ id }: { id: string }) {
  const { api, history } = useApp();
  // One read of the history per page: a fresh object each render would ask the network again each render.
  const entry = useMemo(() => history.get(id), [history, id]);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [ethicsReference, setEthicsReference] = useState('');
  const [keyText, setKeyText] = useState('');
  const [errors, setErrors] = useState<Partial<Record<RequestField, string[]>>>({});
  const [summary, setSummary] = useState<{ items: SummaryItem[]; code?: string }>({ items: [] });
  const [creating, setCreating] = useState(false);

  const body = useMemo(() => {
    if (!entry) return null;
    const { stratify: _ignored, ...query } = buildQuery(entry.form).query;
    return { query, purpose: entry.form.purpose, project: entry.form.project };
  }, [entry]);
  const availability = useLoad<FederatedAvailabilityJson | null>(
    (signal) => (body ? api.call<FederatedAvailabilityJson>('POST', '/api/v1/availability', body, signal) : Promise.resolve(null)),
    [api, body],
  );

  if (!entry || !body) {
    return (
      <section aria-labelledby="page-title">
        <h1 id="page-title">Availability</h1>
        <p>
          This question is not in this browser's history. <a href={href('history')}>See your history</a>.
        </p>
      </section>
    );
  }

  const toggle = (key: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(key);
    else next.delete(key);
    setChosen(next);
  };

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const answer = availability.data;
    if (!answer) return;
    const key = readPublicKeyText(keyText);
    if ('problem' in key) {
      setErrors({ encryptionKey: [key.problem] });
      return;
    }
    setCreating(true);
    setErrors({});
    setSummary({ items: [] });
    try {
      const view = await api.call<AccessRequestViewJson>('POST', '/api/v1/access/requests', {
        title,
        description,
        ethicsReference,
        purpose: entry.form.purpose,
        origin: { kind: 'availability', query: JSON.parse(answer.canonicalQueryJson) as unknown, queryHash: answer.queryHash },
        encryptionKey: key.key,
        collections: [...chosen].map((key) => {
          const [nodeId, ...rest] = key.split('/');
          return { nodeId: nodeId as string, collectionId: rest.join('/') };
        }),
      });
      navigate('requests', view.request.id);
    } catch (error) {
      if (error instanceof ApiError) {
        const byField: Partial<Record<RequestField, string[]>> = {};
        for (const issue of error.issues) (byField[requestFieldOf(issue.field)] ??= []).push(issue.message);
        setErrors(byField);
        setSummary({
          code: error.code,
          items: error.issues.length > 0 ? error.issues.map((i) => ({ message: `${i.field ? `${i.field}: ` : ''}${i.message}` })) : [{ message: error.message }],
        });
      } else {
        setSummary({ items: [{ message: (error as Error).message }] });
      }
    } finally {
      setCreating(false);
    }
  };

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Availability by collection</h1>
      <p className="question-title">{questionTitle({ ...entry.form, stratify: [] })}</p>
      <p className="hint">
        Each site counts its <strong>available</strong> specimens (status available, quantity left) per published collection and material, each
        figure protected by its own policy, and charged to your privacy budget like a count. Purpose {duoTerm(entry.form.purpose)?.abbreviation ?? entry.form.purpose}
        , project {entry.form.project}.
      </p>
      {availability.loading && <Progress label="Asking every site which collections hold matching available specimens…" />}
      <ApiErrorBox title="The availability question was not answered" error={availability.error} />
      {availability.data && (
        <>
          <p data-testid="availability-total">
            Across the network: <strong>{availability.data.total?.display ?? 'no site answered'}</strong>
          </p>
          {(availability.data.sites ?? []).map((site) => (
            <SiteCollections key={site.nodeId} site={site} chosen={chosen} toggle={toggle} />
          ))}
          <section className="panel" aria-labelledby="request-title">
            <h2 id="request-title">Request access to the chosen collections</h2>
            <ErrorSummary title="The request was not created" code={summary.code} items={summary.items} />
            <form onSubmit={(event) => runDetached(() => create(event))} noValidate>
              <FieldError id="collections-error" messages={errors.collections ?? []} />
              <p aria-live="polite">
                {chosen.size === 0 ? 'No collection chosen yet: tick the collections to ask for above.' : `${chosen.size} collection${chosen.size === 1 ? '' : 's'} chosen.`}
              </p>
              <div className={`field ${errors.title ? 'field--error' : ''}`}>
                <label htmlFor="request-title-input">
                  Title <span className="required">required</span>
                </label>
                <FieldError id="request-title-error" messages={errors.title ?? []} />
                <input
                  id="request-title-input"
                  type="text"
                  value={title}
                  aria-required="true"
                  aria-invalid={errors.title ? true : undefined}
                  aria-describedby={errors.title ? 'request-title-error' : undefined}
                  onChange={(e) => setTitle(e.target.value)}
                />
              </div>
              <div className={`field ${errors.description ? 'field--error' : ''}`}>
                <label htmlFor="request-description">Description of the project and what you need</label>
                <FieldError id="request-description-error" messages={errors.description ?? []} />
                <textarea id="request-description" rows={4} value={description} onChange={(e) => setDescription(e.target.value)} />
              </div>
              <div className={`field ${errors.ethicsReference ? 'field--error' : ''}`}>
                <label htmlFor="request-ethics">Ethics committee reference</label>
                <FieldError id="request-ethics-error" messages={errors.ethicsReference ?? []} />
                <input id="request-ethics" type="text" value={ethicsReference} onChange={(e) => setEthicsReference(e.target.value)} />
              </div>
              <EncryptionKeyField value={keyText} onChange={setKeyText} errors={errors.encryptionKey ?? []} />
              <FieldError id="request-general-error" messages={[...(errors.purpose ?? []), ...(errors.general ?? [])]} />
              <button type="submit" className="button button--primary" disabled={creating}>
                {creating ? 'Creating the draft…' : 'Create the request (draft)'}
              </button>
            </form>
          </section>
        </>
      )}
    </section>
  );
}
