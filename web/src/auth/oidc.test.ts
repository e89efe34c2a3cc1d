import { createHash } from 'node:crypto';
import { memoryStorage } from '../testing/memory-storage.js';
import type { SignInProviderJson } from '../api/types.js';
import { beginSignIn, completeSignIn, isCallback } from './oidc.js';
import { readTokenClaims } from './token.js';

const PROVIDER: SignInProviderJson = {
  issuer: 'https://idp.example.org',
  name: 'Example IdP',
  clientId: 'biospec-web',
  authorizationEndpoint: 'https://idp.example.org/authorize',
  tokenEndpoint: 'https://idp.example.org/token',
  scope: 'openid email',
  bearer: 'access_token',
};

function jwt(payload: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'ES256' })}.${part(payload)}.c2ln`;
}

/** A token endpoint that checks the PKCE verifier against the challenge, as a provider does. */
function tokenEndpoint(challenge: string, answer: Record<string, unknown>) {
  const calls: URLSearchParams[] = [];
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    const form = new URLSearchParams(String(init.body));
    calls.push(form);
    const ok = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url') === challenge;
    return new Response(JSON.stringify(ok ? answer : { error: 'invalid_grant', error_description: 'PKCE verification failed' }), {
      status: ok ? 200 : 400,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  return { fetchImpl, calls };
}

describe('the authorization-code flow with PKCE', () => {
  test('sends an S256 challenge and exchanges the code with its verifier', async () => {
    const storage = memoryStorage();
    const url = new URL(await beginSignIn(PROVIDER, storage, 'http://127.0.0.1:8080/'));
    expect(url.origin + url.pathname).toBe(PROVIDER.authorizationEndpoint);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'biospec-web',
      redirect_uri: 'http://127.0.0.1:8080/',
      scope: 'openid email',
      code_challenge_method: 'S256',
    });
    const state = url.searchParams.get('state') as string;
    const { fetchImpl, calls } = tokenEndpoint(url.searchParams.get('code_challenge') as string, { access_token: 'the-token', token_type: 'Bearer' });
    expect(isCallback(`?code=abc&state=${state}`)).toBe(true);
    await expect(completeSignIn(`?code=abc&state=${state}`, storage, fetchImpl)).resolves.toBe('the-token');
    expect(calls[0]?.get('grant_type')).toBe('authorization_code');
    expect(calls[0]?.get('code')).toBe('abc');
    expect(calls[0]?.get('code_verifier')?.length).toBeGreaterThanOrEqual(43);
  });

  test('refuses a callback whose state is not the one sent, and forgets the attempt', async () => {
    const storage = memoryStorage();
    await beginSignIn(PROVIDER, storage, 'http://127.0.0.1:8080/');
    const { fetchImpl, calls } = tokenEndpoint('x', {});
    await expect(completeSignIn('?code=abc&state=forged', storage, fetchImpl)).rejects.toThrow('state does not match');
    expect(calls).toHaveLength(0);
    await expect(completeSignIn('?code=abc&state=forged', storage, fetchImpl)).rejects.toThrow('no sign-in was started');
  });

  test("reports the provider's refusal", async () => {
    const storage = memoryStorage();
    const url = new URL(await beginSignIn(PROVIDER, storage, 'http://127.0.0.1:8080/'));
    const state = url.searchParams.get('state') as string;
    await expect(completeSignIn(`?error=access_denied&error_description=user+said+no&state=${state}`, storage)).rejects.toThrow('user said no');
    await beginSignIn(PROVIDER, storage, 'http://127.0.0.1:8080/');
    const pending = JSON.parse(storage.getItem('biospec.oidc.pending') as string) as { state: string };
    const { fetchImpl } = tokenEndpoint('not-the-challenge', {});
    await expect(completeSignIn(`?code=abc&state=${pending.state}`, storage, fetchImpl)).rejects.toThrow('PKCE verification failed');
  });

  test('an ID token must carry the nonce of this sign-in', async () => {
    const provider = { ...PROVIDER, bearer: 'id_token' as const };
    const storage = memoryStorage();
    const url = new URL(await beginSignIn(provider, storage, 'http://127.0.0.1:8080/'));
    const challenge = url.searchParams.get('code_challenge') as string;
    const state = url.searchParams.get('state') as string;
    const wrong = tokenEndpoint(challenge, { id_token: jwt({ iss: 'i', sub: 's', nonce: 'other' }) });
    await expect(completeSignIn(`?code=abc&state=${state}`, storage, wrong.fetchImpl)).rejects.toThrow('nonce does not match');

    const again = new URL(await beginSignIn(provider, storage, 'http://127.0.0.1:8080/'));
    const token = jwt({ iss: 'i', sub: 's', nonce: again.searchParams.get('nonce') });
    const right = tokenEndpoint(again.searchParams.get('code_challenge') as string, { id_token: token });
    await expect(completeSignIn(`?code=abc&state=${again.searchParams.get('state')}`, storage, right.fetchImpl)).resolves.toBe(token);
  });
});

describe('readTokenClaims', () => {
  test('reads the claims the UI shows, with researcher as the role when none is given', () => {
    expect(readTokenClaims(jwt({ iss: 'coordinator', sub: 'alice', name: 'Alice', roles: ['researcher', 'staff'], exp: 5 }))).toEqual({
      issuer: 'coordinator',
      subject: 'alice',
      name: 'Alice',
      roles: ['researcher', 'staff'],
      expiresAt: 5,
    });
    expect(readTokenClaims(jwt({ iss: 'idp', sub: 'bob' }))?.roles).toEqual(['researcher']);
    expect(readTokenClaims('not a token')).toBeNull();
  });
});
