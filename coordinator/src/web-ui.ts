import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { CoordinatorConfig } from './config.js';

/** An OpenID Connect provider the web UI offers for signing in (`GET /api/v1/sign-in`, declared in http-server.ts). */
export interface SignInProvider {
  issuer: string;
  name: string;
  clientId: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  scope: string;
  bearer: 'access_token' | 'id_token';
}

export function signInProviders(config: CoordinatorConfig): SignInProvider[] {
  return config.researcherIssuers.flatMap((i) => (i.signIn ? [{ issuer: i.issuer, ...i.signIn }] : []));
}

/**
 * The content security policy of every response: scripts, styles, images and fonts only from the
 * coordinator's own origin (the UI has no inline script or style), API calls to the same origin
 * and to the token endpoints of the sign-in providers, no framing, no plugins, no <base>.
 */
export function contentSecurityPolicy(config: CoordinatorConfig): string {
  const tokenOrigins = [...new Set(signInProviders(config).map((p) => new URL(p.tokenEndpoint).origin))];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    ['connect-src', "'self'", ...tokenOrigins].join(' '),
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** The built web UI: `webRoot` from the config, else `@biospec/web`'s `dist/`; null when it has not been built. */
export function webUiRoot(config: Pick<CoordinatorConfig, 'webRoot'>): string | null {
  let root = config.webRoot;
  if (root === undefined) {
    try {
      root = path.join(path.dirname(createRequire(import.meta.url).resolve('@biospec/web/package.json')), 'dist');
    } catch {
      return null;
    }
  }
  return fs.existsSync(path.join(root, 'index.html')) ? root : null;
}

/** The route that serves the web UI's files: not part of the REST API, so not in its OpenAPI document. */
export const WEB_UI_ROUTE = { method: 'get', path: '/*' } as const;

/**
 * Serves the web UI's static files under `/` (one wildcard route, WEB_UI_ROUTE; a path with no
 * file behind it falls through to the API's not-found answer) and security headers on every
 * response. Returns the folder served, or null when there is none.
 */
export async function registerWebUi(app: FastifyInstance, config: CoordinatorConfig): Promise<string | null> {
  const csp = contentSecurityPolicy(config);
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('content-security-policy', csp);
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('referrer-policy', 'no-referrer');
    void reply.header('cross-origin-opener-policy', 'same-origin');
    return payload;
  });

  const root = webUiRoot(config);
  if (root === null) return null;
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: true,
    index: ['index.html'],
    setHeaders(res, file) {
      // File names under assets/ carry a hash of their content; index.html must be checked every time.
      const immutable = path.relative(root, file).startsWith(`assets${path.sep}`);
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return root;
}
