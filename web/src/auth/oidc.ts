/**
 * Signing in with the coordinator's configured OpenID Connect provider: the authorization-code
 * flow with PKCE (RFC 7636) for a public client in the browser. The tab keeps the verifier and
 * a random `state` (and `nonce`) in sessionStorage across the round trip to the provider; the
 * callback must carry the same `state`, and the code is exchanged at the token endpoint with
 * the verifier. The resulting token is what the coordinator verifies (`researcherIssuers`).
 */
import type { SignInProviderJson } from '../api/types.js';
import { codeChallenge, randomToken } from './pkce.js';

const PENDING_KEY = 'biospec.oidc.pending';

interface PendingSignIn {
  provider: SignInProviderJson;
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
}

function jwtPayload(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1];
  if (part === undefined) return null;
  try {
    return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='))) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Where the provider sends the browser back: the UI's own address, without query or fragment. */
export function redirectUriOf(location: Pick<Location, 'origin' | 'pathname'>): string {
  return `${location.origin}${location.pathname}`;
}

/** Builds the authorization request and remembers what the callback must match. */
export async function beginSignIn(provider: SignInProviderJson, storage: Storage, redirectUri: string): Promise<string> {
  const pending: PendingSignIn = { provider, state: randomToken(), nonce: randomToken(), verifier: randomToken(48), redirectUri };
  storage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(provider.authorizationEndpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', provider.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', provider.scope);
  url.searchParams.set('state', pending.state);
  url.searchParams.set('nonce', pending.nonce);
  url.searchParams.set('code_challenge', await codeChallenge(pending.verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

/** Whether the page was opened as the provider's callback (`?code=…&state=…` or `?error=…`). */
export function isCallback(search: string): boolean {
  const params = new URLSearchParams(search);
  return params.has('state') && (params.has('code') || params.has('error'));
}

export class SignInError extends Error {
  override name = 'SignInError';
}

/**
 * Completes a sign-in from the callback's query string: checks `state`, exchanges the code
 * with the verifier and returns the bearer token for the coordinator. The pending sign-in is
 * forgotten whatever happens, so a callback cannot be replayed in this tab.
 */
export async function completeSignIn(search: string, storage: Storage, fetchImpl: typeof fetch = fetch): Promise<string> {
  const params = new URLSearchParams(search);
  const raw = storage.getItem(PENDING_KEY);
  storage.removeItem(PENDING_KEY);
  if (raw === null) throw new SignInError('no sign-in was started in this tab; start again');
  const pending = JSON.parse(raw) as PendingSignIn;
  if (params.get('state') !== pending.state) throw new SignInError('the provider answered a different sign-in (state does not match); start again');
  const error = params.get('error');
  if (error !== null) throw new SignInError(`the provider refused: ${params.get('error_description') ?? error}`);
  const code = params.get('code');
  if (code === null) throw new SignInError('the provider sent no authorization code');

  let response: Response;
  try {
    response = await fetchImpl(pending.provider.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: pending.redirectUri,
        client_id: pending.provider.clientId,
        code_verifier: pending.verifier,
      }).toString(),
    });
  } catch (cause) {
    throw new SignInError(`cannot reach the provider's token endpoint: ${(cause as Error).message}`);
  }
  let body: Record<string, unknown>;
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    throw new SignInError(`the provider's token endpoint answered HTTP ${response.status} without JSON`);
  }
  if (!response.ok) {
    const reason = typeof body.error_description === 'string' ? body.error_description : typeof body.error === 'string' ? body.error : `HTTP ${response.status}`;
    throw new SignInError(`the provider refused the code: ${reason}`);
  }
  const token = body[pending.provider.bearer];
  if (typeof token !== 'string' || token === '') throw new SignInError(`the provider's answer has no ${pending.provider.bearer}`);
  // An ID token must be the one minted for this sign-in; an access token is the coordinator's to judge.
  if (pending.provider.bearer === 'id_token' && jwtPayload(token)?.nonce !== pending.nonce) {
    throw new SignInError('the ID token was not issued for this sign-in (nonce does not match); start again');
  }
  return token;
}
