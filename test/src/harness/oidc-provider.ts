import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

/** The person who signs in at the test provider. */
export interface OidcUser {
  subject: string;
  name: string;
  email: string;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  /** `aud` of the access tokens it issues (the coordinator's `audience` for this issuer). */
  audience: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  /** Every token request, with whether its PKCE verifier matched. */
  tokenRequests: { grantType: string | null; pkceVerified: boolean; status: number }[];
  stop(): Promise<void>;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | null;
  expiresAt: number;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A tiny OpenID Connect provider on 127.0.0.1 for browser tests (no real one can be downloaded
 * here): an authorization endpoint with a sign-in page, a token endpoint for the
 * authorization-code grant that requires PKCE (S256) and answers the browser with CORS, and its
 * JWKS. Tokens are ES256 JWTs, as providers like Keycloak sign them (not EdDSA like the coordinator).
 */
export async function startTestOidcProvider(options: { user: OidcUser; redirectUris: () => string[] }): Promise<TestOidcProvider> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'test-idp-1', alg: 'ES256', use: 'sig' };
  const clientId = 'biospec-web';
  const audience = 'biospec';
  const codes = new Map<string, PendingCode>();
  const tokenRequests: TestOidcProvider['tokenRequests'] = [];
  let issuer = '';

  const sign = (claims: Record<string, unknown>, aud: string) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: jwk.kid as string, typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject(options.user.subject)
      .setAudience(aud)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const cors = { 'access-control-allow-origin': req.headers.origin ?? '*', vary: 'Origin' };
    if (req.method === 'GET' && url.pathname === '/jwks') return send(res, 200, { keys: [jwk] });
    if (req.method === 'GET' && url.pathname === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    if (req.method === 'GET' && url.pathname === '/authorize') {
      const p = url.searchParams;
      const problem =
        p.get('response_type') !== 'code'
          ? 'response_type must be code'
          : p.get('client_id') !== clientId
            ? 'unknown client'
            : !options.redirectUris().includes(p.get('redirect_uri') ?? '')
              ? 'redirect_uri not registered'
              : p.get('code_challenge_method') !== 'S256' || !p.get('code_challenge')
                ? 'PKCE with S256 is required'
                : null;
      if (problem) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        return res.end(problem);
      }
      const hidden = ['redirect_uri', 'state', 'nonce', 'code_challenge']
        .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(p.get(name) ?? '')}">`)
        .join('');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(
        `<!doctype html><html lang="en"><head><title>Test identity provider</title></head><body><main><h1>Test identity provider</h1>` +
          `<form method="post" action="/authorize">${hidden}<p>Signing in to ${escapeHtml(clientId)} as ${escapeHtml(options.user.name)}</p>` +
          `<button type="submit">Continue as ${escapeHtml(options.user.name)}</button></form></main></body></html>`,
      );
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (req.method === 'POST' && url.pathname === '/authorize') {
        const code = randomBytes(16).toString('base64url');
        codes.set(code, {
          clientId,
          redirectUri: form.get('redirect_uri') ?? '',
          challenge: form.get('code_challenge') ?? '',
          nonce: form.get('nonce'),
          expiresAt: Date.now() + 60_000,
        });
        const back = new URL(form.get('redirect_uri') ?? '');
        back.searchParams.set('code', code);
        back.searchParams.set('state', form.get('state') ?? '');
        res.writeHead(302, { location: back.toString() });
        return res.end();
      }
      if (req.method === 'POST' && url.pathname === '/token') {
        const code = form.get('code') ?? '';
        const pending = codes.get(code);
        codes.delete(code);
        const verifier = form.get('code_verifier') ?? '';
        const pkceVerified = pending !== undefined && createHash('sha256').update(verifier).digest('base64url') === pending.challenge;
        const fail = (description: string) => {
          tokenRequests.push({ grantType: form.get('grant_type'), pkceVerified, status: 400 });
          send(res, 400, { error: 'invalid_grant', error_description: description }, cors);
        };
        if (form.get('grant_type') !== 'authorization_code') return fail('grant_type must be authorization_code');
        if (pending === undefined || pending.expiresAt < Date.now()) return fail('unknown or used code');
        if (form.get('client_id') !== pending.clientId || form.get('redirect_uri') !== pending.redirectUri) return fail('client or redirect_uri mismatch');
        if (!pkceVerified) return fail('PKCE verification failed');
        const claims = { name: options.user.name, email: options.user.email, email_verified: true };
        Promise.all([sign(claims, audience), sign({ ...claims, ...(pending.nonce ? { nonce: pending.nonce } : {}) }, clientId)]).then(
          ([accessToken, idToken]) => {
            tokenRequests.push({ grantType: 'authorization_code', pkceVerified, status: 200 });
            send(res, 200, { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: 600 }, cors);
          },
          // A token that cannot be signed is the provider's fault: the browser sees a 500, the test fails on it.
          (error: unknown) => send(res, 500, { error: 'server_error', error_description: String(error) }, cors),
        );
        return undefined;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    });
    return undefined;
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    clientId,
    audience,
    authorizationEndpoint: `${issuer}/authorize`,
    tokenEndpoint: `${issuer}/token`,
    jwksUri: `${issuer}/jwks`,
    tokenRequests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
