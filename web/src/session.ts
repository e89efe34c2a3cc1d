/**
 * The signed-in user of this tab: the bearer token (kept in sessionStorage, so it ends with
 * the tab) and what its claims say, for display and for choosing which pages to offer.
 */
import { isExpired, readTokenClaims, type TokenClaims } from './auth/token.js';

export interface Session {
  token: string;
  claims: TokenClaims;
}

const TOKEN_KEY = 'biospec.token';

/** The session a token makes, or a reason it cannot be used. */
export function sessionFromToken(token: string, nowMs: number): Session | { problem: string } {
  const trimmed = token.trim();
  if (trimmed === '') return { problem: 'paste a token first' };
  const claims = readTokenClaims(trimmed);
  if (claims === null) return { problem: 'this is not a JSON Web Token (three base64url parts separated by dots, with iss and sub)' };
  if (isExpired(claims, nowMs)) return { problem: `this token expired at ${new Date((claims.expiresAt as number) * 1000).toISOString()}` };
  return { token: trimmed, claims };
}

export function loadSession(storage: Storage, nowMs: number): Session | null {
  const token = storage.getItem(TOKEN_KEY);
  if (token === null) return null;
  const session = sessionFromToken(token, nowMs);
  if ('problem' in session) {
    storage.removeItem(TOKEN_KEY);
    return null;
  }
  return session;
}

export function saveSession(storage: Storage, session: Session | null): void {
  if (session === null) storage.removeItem(TOKEN_KEY);
  else storage.setItem(TOKEN_KEY, session.token);
}

/** The key a person's history is kept under in this browser. */
export function historyOwner(claims: TokenClaims): string {
  return `${claims.issuer}|${claims.subject}`;
}
