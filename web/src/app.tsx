import { useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import { createApiClient } from './api/client.js';
import { completeSignIn, isCallback } from './auth/oidc.js';
import { AppContext, type AppState } from './app-context.js';
import { createHistoryStore } from './model/history.js';
import { EMPTY_FORM, type QueryForm } from './model/query-form.js';
import type { MeJson } from './api/access-types.js';
import { hasRole, stewardedNodes } from './model/access.js';
import { AvailabilityPage } from './pages/availability-page.js';
import { HealthPage } from './pages/health-page.js';
import { HistoryPage } from './pages/history-page.js';
import { MembershipDetailPage, MembershipPage } from './pages/membership-page.js';
import { RequestPage } from './pages/request-page.js';
import { RequestsPage } from './pages/requests-page.js';
import { StewardPage } from './pages/steward-page.js';
import { NetworkPage } from './pages/network-page.js';
import { NoPagesPage } from './pages/no-pages-page.js';
import { NotFoundPage } from './pages/not-found-page.js';
import { QueryPage } from './pages/query-page.js';
import { ResultsPage } from './pages/results-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { href, navigate, useRoute } from './routing.js';
import { historyOwner, loadSession, saveSession, sessionFromToken, type Session } from './session.js';

interface NavItem {
  route: string;
  label: string;
}

/** The pages each role works on; a person sees the union of their roles' pages. */
function navFor(roles: readonly string[]): NavItem[] {
  const items: NavItem[] = [];
  if (hasRole(roles, 'researcher')) {
    items.push(
      { route: 'query', label: 'Ask a question' },
      { route: 'history', label: 'History' },
      { route: 'network', label: 'Network and budget' },
      { route: 'requests', label: 'My requests' },
    );
  }
  if (hasRole(roles, 'staff')) {
    items.push({ route: 'queue', label: 'Review queue' }, { route: 'membership', label: 'Membership' }, { route: 'health', label: 'Network health' });
  }
  if (stewardedNodes(roles).length > 0) items.push({ route: 'steward', label: 'My sites' });
  return items;
}

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession(window.sessionStorage, Date.now()));
  const [callbackError, setCallbackError] = useState<string | null>(null);
  const [completing, setCompleting] = useState(() => isCallback(window.location.search));
  const [form, setForm] = useState<QueryForm>(EMPTY_FORM);
  const [me, setMe] = useState<MeJson | null>(null);
  const route = useRoute();

  // Who the coordinator says the person is: their record and current roles (a token's own claim may be stale).
  useEffect(() => {
    setMe(null);
    if (session === null) return undefined;
    const abort = new AbortController();
    createApiClient(() => session.token)
      .call<MeJson>('GET', '/api/v1/me', undefined, abort.signal)
      .then(setMe)
      .catch(() => setMe(null));
    return () => abort.abort();
  }, [session]);

  // The OpenID Connect provider sent the browser back here with `?code=…&state=…`.
  useEffect(() => {
    if (!isCallback(window.location.search)) return;
    const search = window.location.search;
    window.history.replaceState(null, '', `${window.location.pathname}#/query`);
    completeSignIn(search, window.sessionStorage)
      .then((token) => {
        const next = sessionFromToken(token, Date.now());
        if ('problem' in next) throw new Error(`the provider's token cannot be used: ${next.problem}`);
        saveSession(window.sessionStorage, next);
        setSession(next);
      })
      .catch((error: unknown) => {
        setCallbackError((error as Error).message);
        navigate('sign-in');
      })
      .finally(() => setCompleting(false));
  }, []);

  const signIn = (next: Session) => {
    saveSession(window.sessionStorage, next);
    setSession(next);
    setCallbackError(null);
    navigate('');
  };
  const signOut = () => {
    saveSession(window.sessionStorage, null);
    setSession(null);
    setForm(EMPTY_FORM);
    navigate('sign-in');
  };

  // The API client and the history belong to the session: pages that load data keep them across renders.
  const api = useMemo(() => (session === null ? null : createApiClient(() => session.token)), [session]);
  const history = useMemo(() => (session === null ? null : createHistoryStore(window.localStorage, historyOwner(session.claims))), [session]);
  const state = useMemo<AppState | null>(() => {
    if (session === null || api === null || history === null) return null;
    return { api, session, history, form, setForm, me, roles: me?.roles ?? session.claims.roles };
  }, [session, api, history, form, me]);

  const roles = state?.roles ?? [];
  const nav = navFor(roles);
  const home = nav[0]?.route ?? 'query';
  const page = route[0] === undefined || route[0] === 'sign-in' ? home : route[0];
  let content: ReactElement;
  if (completing) {
    content = (
      <section aria-labelledby="page-title">
        <h1 id="page-title">Signing in</h1>
        <p role="status">Completing the sign-in with your identity provider…</p>
      </section>
    );
  } else if (state === null) {
    content = <SignInPage onSignIn={signIn} initialError={callbackError} />;
  } else if (nav.length === 0) {
    content = <NoPagesPage roles={roles} />;
  } else if (page === 'query') {
    content = <QueryPage />;
  } else if (page === 'availability' && route[1] !== undefined) {
    content = <AvailabilityPage id={route[1]} />;
  } else if (page === 'requests' && route[1] !== undefined) {
    content = <RequestPage id={route[1]} />;
  } else if (page === 'requests' || page === 'queue') {
    content = <RequestsPage key={page} queue={page === 'queue'} />;
  } else if (page === 'membership' && route[1] !== undefined) {
    content = <MembershipDetailPage nodeId={route[1]} />;
  } else if (page === 'membership') {
    content = <MembershipPage />;
  } else if (page === 'health') {
    content = <HealthPage />;
  } else if (page === 'steward') {
    content = <StewardPage />;
  } else if (page === 'results' && route[1] !== undefined) {
    content = <ResultsPage id={route[1]} />;
  } else if (page === 'history') {
    content = <HistoryPage />;
  } else if (page === 'network') {
    content = <NetworkPage />;
  } else {
    content = <NotFoundPage />;
  }

  const main = useRef<HTMLElement>(null);
  // After a page change, move focus to the new page's heading so keyboard and screen reader users start there.
  const routeKey = route.join('/');
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = main.current?.querySelector<HTMLElement>('h1');
    heading?.setAttribute('tabindex', '-1');
    heading?.focus();
  }, [routeKey, state === null]);

  const layout = (
    <>
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="site-header">
        <div className="site-header__inner">
          <a className="site-title" href={href(home)}>
            Biospecimen federation
          </a>
          {state && (
            <nav aria-label="Main">
              <ul className="nav-list">
                {nav.map((item) => (
                  <li key={item.route}>
                    <a href={href(item.route)} aria-current={page === item.route ? 'page' : undefined}>
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {state && (
            <div className="user-box">
              <span className="user-name" title={`${state.session.claims.subject} (${state.session.claims.issuer})`}>
                {state.session.claims.name ?? state.session.claims.subject}
                <span className="user-roles"> · {state.roles.join(', ')}</span>
              </span>
              <button type="button" className="button button--quiet" onClick={signOut}>
                Sign out
              </button>
            </div>
          )}
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {content}
      </main>
      <footer className="site-footer">
        <p>
          Every figure is protected by the site that released it; none is shown as exact unless the site released it exact.
          Scripts can use the same REST API (<code>/api/v1</code>).
        </p>
      </footer>
    </>
  );
  return state ? <AppContext.Provider value={state}>{layout}</AppContext.Provider> : layout;
}
