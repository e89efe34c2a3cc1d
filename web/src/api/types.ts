/**
 * The coordinator's REST JSON, as `FederatedCountResponse.toJSON` and `NodeInfo.toJSON`
 * write it (packages/protocol): fields at their default (0, false, "") are left out, so
 * every optional here may be absent.
 */

export type SiteStatusName =
  | 'SITE_STATUS_UNSPECIFIED'
  | 'SITE_STATUS_OK'
  | 'SITE_STATUS_TIMEOUT'
  | 'SITE_STATUS_UNREACHABLE'
  | 'SITE_STATUS_ERROR'
  | 'SITE_STATUS_REJECTED'
  | 'SITE_STATUS_HELD'
  | 'SITE_STATUS_BUSY'
  | 'SITE_STATUS_WARMING_UP';

export type DisclosureKindName =
  | 'DISCLOSURE_KIND_UNSPECIFIED'
  | 'DISCLOSURE_KIND_EXACT'
  | 'DISCLOSURE_KIND_BELOW_THRESHOLD'
  | 'DISCLOSURE_KIND_ROUNDED'
  | 'DISCLOSURE_KIND_NOISY'
  | 'DISCLOSURE_KIND_HELD';

export interface DisclosureJson {
  kind?: DisclosureKindName;
  threshold?: number;
  rounding?: number;
  mechanism?: string;
  epsilon?: number;
  sigma?: number;
  clamp?: number;
  sensitivity?: number;
  noiseScale?: number;
}

/** One figure as a node released it: `value` is absent whenever no number may be shown. */
export interface ReleasedFigureJson {
  value?: number;
  disclosure?: DisclosureJson;
  display?: string;
}

export interface StratumJson {
  key?: Record<string, string>;
  figure?: ReleasedFigureJson;
}

export interface BudgetJson {
  spent?: number;
  remaining?: number;
  total?: number;
  renewsAt?: string;
  windowDays?: number;
}

export interface SiteResultJson {
  nodeId: string;
  nodeName?: string;
  status?: SiteStatusName;
  message?: string;
  total?: ReleasedFigureJson;
  strata?: StratumJson[];
  latencyMs?: number;
  signedResult?: string;
  dataEpoch?: number;
  budget?: BudgetJson;
  retryAfterMs?: number;
  cost?: number;
  charged?: number;
}

export interface MergedTotalJson {
  releasedSum?: number;
  sitesBelowThreshold?: number;
  withheldMax?: number;
  exact?: boolean;
  display?: string;
}

export interface MergedStratumJson {
  key?: Record<string, string>;
  total?: MergedTotalJson;
}

export interface FederatedCountJson {
  queryHash: string;
  canonicalQueryJson: string;
  unit?: string;
  total?: MergedTotalJson;
  sites?: SiteResultJson[];
  strata?: MergedStratumJson[];
  elapsedMs?: number;
}

export interface NodeInfoJson {
  nodeId: string;
  name?: string;
  endpoint?: string;
  lastStatus?: SiteStatusName;
  dataEpoch?: number;
  policyJson?: string;
  catalogueDonors?: ReleasedFigureJson;
  guarantee?: string;
}

/** Every node's public keys, for a saved bundle (`GET /api/v1/jwks`). */
export type NodeJwksJson = Record<string, { keys: Record<string, unknown>[] }>;

/** One problem the API names, with the field it is about (a JSON path of the request body). */
export interface ApiIssue {
  field?: string;
  message: string;
}

export interface ApiErrorJson {
  error: { code: string; message: string; issues?: ApiIssue[] };
}

/** The body of `POST /api/v1/count`. */
export interface CountRequestJson {
  query: unknown;
  purpose: string;
  project: string;
  deadlineMs?: number;
}

/** An OpenID Connect provider the UI can sign in with (`GET /api/v1/sign-in`). */
export interface SignInProviderJson {
  issuer: string;
  name: string;
  clientId: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  scope: string;
  /** Which token of the provider's answer the coordinator accepts as a bearer token. */
  bearer: 'access_token' | 'id_token';
}
