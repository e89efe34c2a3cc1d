import { BiospecError, FederatedCountResponse, NodeInfo, type ErrorCode } from '@biospec/protocol';
import type { ResultBundle } from '@biospec/trust';

/** The body of `POST /api/v1/count`. */
export interface CountRequestBody {
  query: unknown;
  purpose: string;
  project: string;
  deadlineMs?: number;
}

/** What `GET /api/v1/nodes` says of the coordinator itself. */
export interface CoordinatorLimits {
  coordinatorId: string;
  rateLimits: { limit: number; windowSeconds: number }[];
}

/** A small client of the coordinator's REST API; errors come back as BiospecErrors with the server's code. */
export function createRestClient(url: string, token: string) {
  const base = url.replace(/\/$/, '');

  async function call(pathname: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${base}${pathname}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (cause) {
      throw new BiospecError('UNAVAILABLE', `cannot reach the coordinator at ${base}: ${(cause as Error).message}`, { cause });
    }
    const parsed = (await response.json()) as { error?: { code: ErrorCode; message: string; issues?: { field?: string; message: string }[] } };
    if (!response.ok) {
      throw new BiospecError(parsed.error?.code ?? 'INTERNAL', parsed.error?.message ?? `HTTP ${response.status}`, {
        issues: parsed.error?.issues ?? [],
      });
    }
    return parsed;
  }

  return {
    /** Returns the raw JSON (for --json) and the decoded response. */
    async count(body: CountRequestBody): Promise<{ raw: unknown; response: FederatedCountResponse }> {
      const raw = await call('/api/v1/count', body);
      return { raw, response: FederatedCountResponse.fromJSON(raw) };
    },
    nodeJwks: async () => (await call('/api/v1/jwks')) as ResultBundle['jwks'],
    /** Any REST call, for the access commands: GET without a body, POST (or `method`) with one. */
    call,
    /** The member nodes, and the coordinator's own limits on each researcher's questions (absent from older coordinators). */
    async nodes(): Promise<{ nodes: NodeInfo[]; coordinator?: CoordinatorLimits }> {
      const raw = (await call('/api/v1/nodes')) as { nodes: unknown[]; coordinator?: CoordinatorLimits };
      return { nodes: raw.nodes.map((n) => NodeInfo.fromJSON(n)), ...(raw.coordinator ? { coordinator: raw.coordinator } : {}) };
    },
  };
}

/** Packs a federated answer (count or availability) with the nodes' public keys, so it can be verified offline later. */
export function toResultBundle(
  response: Pick<FederatedCountResponse, 'queryHash' | 'canonicalQueryJson'> & { sites: Pick<FederatedCountResponse['sites'][number], 'nodeId' | 'status' | 'signedResult'>[] },
  jwks: ResultBundle['jwks'],
): ResultBundle {
  return {
    version: 1,
    query_hash: response.queryHash,
    canonical_query: JSON.parse(response.canonicalQueryJson),
    created_at: new Date().toISOString(),
    sites: response.sites.map((s) => ({ node_id: s.nodeId, status: String(s.status), ...(s.signedResult ? { signed_result: s.signedResult } : {}) })),
    jwks,
  };
}
