/**
 * What the UI reads from a bearer token to greet the user and to choose which pages to offer:
 * its claims, decoded but not verified. The coordinator verifies every token on every call;
 * nothing here grants anything.
 */
export interface TokenClaims {
  issuer: string;
  subject: string;
  name?: string;
  email?: string;
  roles: string[];
  /** Seconds since the epoch; undefined when the token has none. */
  expiresAt?: number;
}

function base64UrlDecode(part: string): string {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The claims of a compact JWT, or null when the text is not one. */
export function readTokenClaims(token: string): TokenClaims | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(base64UrlDecode(parts[1] as string)) as Record<string, unknown>;
    if (typeof payload.sub !== 'string' || typeof payload.iss !== 'string') return null;
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : ['researcher'];
    return {
      issuer: payload.iss,
      subject: payload.sub,
      ...(typeof payload.name === 'string' ? { name: payload.name } : {}),
      ...(typeof payload.email === 'string' ? { email: payload.email } : {}),
      roles,
      ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp } : {}),
    };
  } catch {
    return null;
  }
}

/** True when the token's `exp` has passed (with no `exp`, never). */
export function isExpired(claims: TokenClaims, nowMs: number): boolean {
  return claims.expiresAt !== undefined && claims.expiresAt * 1000 <= nowMs;
}
