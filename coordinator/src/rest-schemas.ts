/**
 * The shapes of the coordinator's REST API, as zod schemas: request bodies (the ones the
 * handlers parse with) and responses (the JSON the handlers send, which is the protobuf JSON
 * of `proto/biospecimen/v1` as ts-proto writes it: camelCase names, enums as their names,
 * int64 as JSON numbers, fields at their zero value left out). The OpenAPI document
 * (`GET /api/v1/openapi.json`) is generated from these; tests check responses against them.
 */
import { z } from 'zod';
import { ERROR_CODES } from '@biospec/protocol';
import { QuerySchema } from '@biospec/query';

const DUO_PURPOSE = 'DUO:0000006';

/** `POST /api/v1/count`. The query is checked by `parseQuery` (limits first, then the schema; docs/QUERY.md). */
export const CountBodySchema = z
  .object({
    query: z.unknown().meta({ description: 'The query AST (docs/QUERY.md): the schema `Query` below; checked against its limits before its shape.' }),
    purpose: z.string().meta({
      description: `The research purpose: a DUO use category given as its code, e.g. \`${DUO_PURPOSE}\` (HMB, health/medical/biomedical research); the abbreviation \`HMB\` is not accepted here (the CLI translates it). Categories: DUO:0000004 (NRES), DUO:0000042 (GRU), DUO:0000006 (HMB), DUO:0000007 (DS), DUO:0000011 (POA).`,
      examples: [DUO_PURPOSE],
    }),
    project: z.string().meta({ description: 'The project the question belongs to, as the researcher names it; nodes see it and record it in their audit logs.', examples: ['breast-cancer-ffpe-2026'] }),
    deadlineMs: z.number().int().min(0).max(120000).optional().meta({ description: "How long the coordinator waits for the nodes, in milliseconds (default: the coordinator's `defaultDeadlineMs`, 5000)." }),
  })
  .strict()
  .meta({ id: 'CountRequest' });

/** The query a count request carries, documented from the schema `parseQuery` applies. */
export const QueryDocument = QuerySchema;

export const SiteStatusJson = z
  .enum([
    'SITE_STATUS_OK',
    'SITE_STATUS_TIMEOUT',
    'SITE_STATUS_UNREACHABLE',
    'SITE_STATUS_ERROR',
    'SITE_STATUS_REJECTED',
    'SITE_STATUS_HELD',
    'SITE_STATUS_BUSY',
    'SITE_STATUS_WARMING_UP',
  ])
  .meta({ id: 'SiteStatus', description: "A site's status (README, \"Setting up a network\"); left out when unspecified." });

/** A float as ts-proto writes it: a number, or `"NaN"`, `"Infinity"`, `"-Infinity"`. */
export const jsonFloat = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);

const DisclosureJson = z
  .object({
    kind: z.enum(['DISCLOSURE_KIND_EXACT', 'DISCLOSURE_KIND_BELOW_THRESHOLD', 'DISCLOSURE_KIND_ROUNDED', 'DISCLOSURE_KIND_NOISY', 'DISCLOSURE_KIND_HELD']).optional(),
    threshold: z.number().int().optional(),
    rounding: z.number().int().optional(),
    mechanism: z.string().optional().meta({ description: 'e.g. `discrete-laplace`' }),
    epsilon: jsonFloat.optional(),
    sigma: jsonFloat.optional(),
    clamp: z.number().int().optional(),
    sensitivity: z.number().int().optional(),
    noiseScale: jsonFloat.optional(),
  })
  .strict()
  .meta({ id: 'Disclosure', description: 'How a figure was protected (docs/PRIVACY.md).' });

export const ReleasedFigureJson = z
  .object({
    value: z.number().int().optional().meta({ description: 'The released figure (int64, a JSON number); absent below the threshold or while held.' }),
    disclosure: DisclosureJson.optional(),
    display: z.string().optional().meta({ examples: ['about 120 (noisy, Laplace ε=0.1, rounded to 10)', '<10'] }),
  })
  .strict()
  .meta({ id: 'ReleasedFigure' });

export const StratumJson = z
  .object({ key: z.record(z.string(), z.string()).optional(), figure: ReleasedFigureJson.optional() })
  .strict()
  .meta({ id: 'Stratum' });

export const BudgetStatusJson = z
  .object({
    spent: jsonFloat.optional(),
    remaining: jsonFloat.optional(),
    total: jsonFloat.optional(),
    renewsAt: z.string().optional().meta({ description: 'ISO date-time when the oldest charge leaves the window.' }),
    windowDays: z.number().int().optional(),
  })
  .strict()
  .meta({ id: 'BudgetStatus', description: "The researcher's privacy budget at this node." });

const SiteResultJson = z
  .object({
    nodeId: z.string().optional(),
    nodeName: z.string().optional(),
    status: SiteStatusJson.optional(),
    message: z.string().optional(),
    total: ReleasedFigureJson.optional(),
    strata: z.array(StratumJson).optional(),
    latencyMs: z.number().int().optional(),
    signedResult: z.string().optional().meta({ description: "The node's signed answer (compact JWS, docs/PROTOCOL.md): verifiable offline with the node's public keys." }),
    dataEpoch: z.number().int().optional().meta({ description: 'int64, a JSON number.' }),
    budget: BudgetStatusJson.optional(),
    retryAfterMs: z.number().int().optional(),
    cost: jsonFloat.optional(),
    charged: jsonFloat.optional(),
  })
  .strict()
  .meta({ id: 'SiteResult' });

export const MergedTotalJson = z
  .object({
    releasedSum: z.number().int().optional().meta({ description: 'Sum of the released figures (int64, a JSON number).' }),
    sitesBelowThreshold: z.number().int().optional(),
    withheldMax: z.number().int().optional().meta({ description: 'Upper bound of what the sites below their threshold may add.' }),
    exact: z.boolean().optional(),
    display: z.string().optional(),
  })
  .strict()
  .meta({ id: 'MergedTotal' });

export const FederatedCountResponseJson = z
  .object({
    queryHash: z.string().optional().meta({ description: 'Lowercase hex SHA-256 of the canonical query.' }),
    canonicalQueryJson: z.string().optional(),
    unit: z.string().optional(),
    total: MergedTotalJson.optional(),
    sites: z.array(SiteResultJson).optional(),
    strata: z.array(z.object({ key: z.record(z.string(), z.string()).optional(), total: MergedTotalJson.optional() }).strict()).optional(),
    elapsedMs: z.number().int().optional(),
  })
  .strict()
  .meta({ id: 'FederatedCountResponse' });

const RateLimitJson = z
  .object({ limit: z.number().int().min(1), windowSeconds: z.number().int().min(1) })
  .strict()
  .meta({ id: 'RateLimit', description: 'At most `limit` questions in any `windowSeconds`.' });

const NodeInfoJson = z
  .object({
    nodeId: z.string().optional(),
    name: z.string().optional(),
    endpoint: z.string().optional(),
    lastStatus: SiteStatusJson.optional(),
    dataEpoch: z.number().int().optional(),
    policyJson: z.string().optional().meta({ description: "The node's disclosure policy as JSON text (docs/PRIVACY.md)." }),
    catalogueDonors: ReleasedFigureJson.optional(),
    guarantee: z.string().optional(),
    softwareVersion: z.string().optional().meta({ description: "The node's software version, from its Describe answer." }),
  })
  .strict()
  .meta({ id: 'NodeInfo' });

export const NodesResponseJson = z
  .object({
    nodes: z.array(NodeInfoJson),
    coordinator: z
      .object({
        coordinatorId: z.string(),
        rateLimits: z.array(RateLimitJson).meta({ description: "The coordinator's own limits on each researcher's questions, on top of every node's (`rateLimits` in coordinator.json)." }),
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'NodesResponse' });

const JwkJson = z
  .object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), kid: z.string(), alg: z.literal('EdDSA').optional(), use: z.literal('sig').optional() })
  .strict()
  .meta({ id: 'PublicJwk', description: 'An Ed25519 public key (RFC 8037).' });

export const JwksJson = z.object({ keys: z.array(JwkJson) }).strict().meta({ id: 'Jwks' });

export const NodeJwksJson = z.record(z.string(), JwksJson).meta({ id: 'NodeJwks', description: "Every member node's public keys, by node id." });

export const HealthJson = z.object({ status: z.literal('ok') }).strict().meta({ id: 'Health' });

export const ReadinessJson = z
  .object({
    status: z.enum(['ready', 'not ready']),
    ready: z.boolean(),
    checks: z.record(z.string(), z.string()).meta({ description: "Each check's problem, or `ok` (`databases`: the coordinator's state takes writes)." }),
    checkedAt: z.string().meta({ description: 'ISO time of the last evaluation (every second).' }),
  })
  .strict()
  .meta({ id: 'Readiness', description: 'Sent with 200 when ready and with 503 when not.' });

/** Every error the REST API sends, with the HTTP status of its code (packages/protocol/src/errors.ts). */
export const ErrorEnvelopeJson = z
  .object({
    error: z
      .object({
        code: z.enum(ERROR_CODES).meta({ description: 'A stable error code (packages/protocol/src/errors.ts); its HTTP status is fixed.' }),
        message: z.string(),
        issues: z
          .array(
            z
              .object({
                field: z.string().optional().meta({ description: 'JSON path of the problem, e.g. `where.args[0].values[0]`.' }),
                line: z.number().int().optional(),
                message: z.string(),
              })
              .strict(),
          )
          .meta({ description: 'Every located problem; empty when there is none to locate.' }),
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'Error' });

/** `GET /api/v1/sign-in`: the OpenID Connect providers the web UI offers (`signIn` of a researcher issuer in coordinator.json). */
export const SignInProvidersJson = z
  .object({
    providers: z.array(
      z
        .object({
          issuer: z.string(),
          name: z.string(),
          clientId: z.string(),
          authorizationEndpoint: z.string(),
          tokenEndpoint: z.string(),
          scope: z.string(),
          bearer: z.enum(['access_token', 'id_token']).meta({ description: 'Which token of the provider the UI sends to the coordinator as its bearer token.' }),
        })
        .strict()
        .meta({ id: 'SignInProvider' }),
    ),
  })
  .strict()
  .meta({ id: 'SignInProviders' });
