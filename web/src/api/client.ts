import type { ApiErrorJson, ApiIssue, CountRequestJson, FederatedCountJson, NodeInfoJson, NodeJwksJson, SignInProviderJson } from './types.js';

/** An error the coordinator answered with (or could not be reached): its code, message and the fields at fault. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: readonly ApiIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isApiErrorJson(body: unknown): body is ApiErrorJson {
  const error = (body as { error?: unknown } | null)?.error as { code?: unknown; message?: unknown } | undefined;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

export interface ApiClient {
  count(body: CountRequestJson, signal?: AbortSignal): Promise<FederatedCountJson>;
  nodes(signal?: AbortSignal): Promise<NodeInfoJson[]>;
  nodeJwks(signal?: AbortSignal): Promise<NodeJwksJson>;
  signInProviders(signal?: AbortSignal): Promise<SignInProviderJson[]>;
  /** Any other route: the parsed JSON body, or an ApiError. */
  call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T>;
}

/**
 * The coordinator's REST API, as scripts use it, from the origin that served the UI.
 * Every failure becomes an {@link ApiError}: the server's own `{error: {code, message,
 * issues}}`, or a code of our own when the answer is not that (network down, not JSON).
 */
export function createApiClient(token: () => string | null, base = ''): ApiClient {
  async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const bearer = token();
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (cause) {
      if ((cause as Error).name === 'AbortError') throw cause;
      throw new ApiError(0, 'UNAVAILABLE', `cannot reach the coordinator: ${(cause as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch {
      throw new ApiError(response.status, response.ok ? 'INTERNAL' : `HTTP_${response.status}`, `the coordinator answered HTTP ${response.status} without JSON`);
    }
    if (!response.ok || isApiErrorJson(parsed)) {
      if (isApiErrorJson(parsed)) throw new ApiError(response.status, parsed.error.code, parsed.error.message, parsed.error.issues ?? []);
      throw new ApiError(response.status, `HTTP_${response.status}`, `the coordinator answered HTTP ${response.status}`);
    }
    return parsed as T;
  }

  return {
    count: (body, signal) => call<FederatedCountJson>('POST', '/api/v1/count', body, signal),
    nodes: async (signal) => (await call<{ nodes: NodeInfoJson[] }>('GET', '/api/v1/nodes', undefined, signal)).nodes,
    nodeJwks: (signal) => call<NodeJwksJson>('GET', '/api/v1/jwks', undefined, signal),
    signInProviders: async (signal) => (await call<{ providers: SignInProviderJson[] }>('GET', '/api/v1/sign-in', undefined, signal)).providers,
    call,
  };
}
