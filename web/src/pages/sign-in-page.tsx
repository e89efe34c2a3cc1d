import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, createApiClient } from '../api/client.js';
import type { SignInProviderJson } from '../api/types.js';
import { beginSignIn, redirectUriOf } from '../auth/oidc.js';
import { ErrorSummary } from '../components/error-summary.js';
import { FieldError } from '../components/field-error.js';
import { sessionFromToken, type Session } from '../session.js';
import { runDetached } from '../run-detached.js';

/**
 * Sign in with a token the coordinator issued (`biospec coordinator researcher add`, or the one
 * `npm run demo` prints), checked against the coordinator before it is kept; or with the
 * configured OpenID Connect provider (authorization code with PKCE).
 */
export function SignInPage({ onSignIn, initialError }: { onSignIn: (session: Session) => void; initialError: string | null }) {
  const [token, setToken] = useState('');
  const [tokenError, setTokenError] = useState<string | null>(null);
  const [providerError, setProviderError] = useState<string | null>(initialError);
  const [checking, setChecking] = useState(false);
  const [providers, setProviders] = useState<SignInProviderJson[] | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    createApiClient(() => null)
      .signInProviders(abort.signal)
      .then(setProviders)
      .catch((error: unknown) => {
        if ((error as Error).name === 'AbortError') return;
        setProviders([]);
        setProviderError(`cannot list sign-in providers: ${(error as Error).message}`);
      });
    return () => abort.abort();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const session = sessionFromToken(token, Date.now());
    if ('problem' in session) {
      setTokenError(session.problem);
      return;
    }
    setChecking(true);
    setTokenError(null);
    try {
      // Any authenticated call proves the coordinator accepts the token (and knows the person).
      await createApiClient(() => session.token).nodes();
      onSignIn(session);
    } catch (error) {
      setTokenError(error instanceof ApiError ? `${error.message} (${error.code})` : (error as Error).message);
    } finally {
      setChecking(false);
    }
  };

  const startProvider = async (provider: SignInProviderJson) => {
    try {
      window.location.assign(await beginSignIn(provider, window.sessionStorage, redirectUriOf(window.location)));
    } catch (error) {
      setProviderError(`cannot start the sign-in: ${(error as Error).message}`);
    }
  };

  return (
    <section aria-labelledby="page-title" className="narrow-page">
      <h1 id="page-title">Sign in</h1>
      <p>Ask feasibility questions across the network's biobanks. Sign in with your organisation's account or a token from the coordinator's staff.</p>
      <ErrorSummary title="Sign-in failed" items={providerError ? [{ message: providerError }] : []} />

      <section aria-labelledby="provider-title" className="panel">
        <h2 id="provider-title">With your organisation's account</h2>
        {providers === null && <p role="status">Looking up sign-in providers…</p>}
        {providers !== null && providers.length === 0 && <p>This coordinator has no OpenID Connect provider configured for the web UI.</p>}
        {providers !== null && providers.length > 0 && (
          <ul className="button-list">
            {providers.map((provider) => (
              <li key={provider.issuer}>
                <button type="button" className="button" onClick={() => runDetached(() => startProvider(provider))}>
                  Sign in with {provider.name}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="token-title" className="panel">
        <h2 id="token-title">With a coordinator token</h2>
        <form onSubmit={(event) => runDetached(() => submit(event))} noValidate>
          <div className={`field ${tokenError ? 'field--error' : ''}`}>
            <label htmlFor="token">Bearer token</label>
            <p className="hint" id="token-hint">
              The token from <code>biospec coordinator researcher add</code>, or the one <code>npm run demo</code> prints. It stays in this
              browser tab only.
            </p>
            <FieldError id="token-error" messages={tokenError ? [tokenError] : []} />
            <textarea
              id="token"
              name="token"
              rows={4}
              spellCheck={false}
              autoComplete="off"
              value={token}
              aria-describedby={`token-hint${tokenError ? ' token-error' : ''}`}
              aria-invalid={tokenError ? true : undefined}
              onChange={(event) => setToken(event.target.value)}
            />
          </div>
          <button type="submit" className="button" disabled={checking}>
            {checking ? 'Checking the token…' : 'Sign in with this token'}
          </button>
        </form>
      </section>
    </section>
  );
}
