import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { z } from 'zod';
import { BiospecError, httpStatusOf, type ErrorCode } from '@biospec/protocol';
import { ErrorEnvelopeJson } from './rest-schemas.js';

/** What one REST route takes and gives: the handler's own schemas, and the words of its documentation. */
export interface RouteSpec<Body extends z.ZodType | undefined, Query extends z.ZodType | undefined> {
  summary: string;
  description?: string;
  /** Needs `Authorization: Bearer <researcher token>`. Default true. */
  auth?: boolean;
  /** The request body, parsed with this schema before the handler runs (400 INVALID_ARGUMENT naming every field otherwise). */
  body?: Body;
  /**
   * Body fields the handler checks later with a schema of their own (a count's `query`, which
   * `parseQuery` checks against its limits before its shape): documented with that schema.
   */
  bodyFields?: Record<string, z.ZodType>;
  /** The query string, parsed the same way. */
  query?: Query;
  /** Path parameters (`:id` in the path), documented with these words. */
  params?: Record<string, string>;
  /** The success response: its schema (JSON) or `text` with its media type. */
  response: z.ZodType | { text: string; description: string };
  /** Default 200. */
  status?: number;
  /** Error codes the route may answer beyond the ones every route may (INTERNAL; UNAUTHENTICATED with auth; INVALID_ARGUMENT and TOO_LARGE with a body). */
  errors?: ErrorCode[];
  /** Largest body accepted, in bytes (fastify's `bodyLimit`). */
  bodyLimit?: number;
}

type Output<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteContext<Body extends z.ZodType | undefined, Query extends z.ZodType | undefined> {
  request: FastifyRequest;
  reply: FastifyReply;
  body: Output<Body>;
  query: Output<Query>;
  params: Record<string, string>;
}

interface Entry {
  method: Lowercase<HTTPMethods>;
  path: string;
  spec: RouteSpec<z.ZodType | undefined, z.ZodType | undefined>;
}

/** Parses `value` with `schema`, or refuses it naming every field (under `where`: `body` or `query`). */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new BiospecError('INVALID_ARGUMENT', `request ${where} is invalid`, {
      issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || `(${where})`, message: i.message })),
    });
  }
  return parsed.data;
}

/** `/api/v1/access/requests/:id` → `/api/v1/access/requests/{id}`. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

/**
 * The coordinator's REST routes, each registered on the fastify app and in the OpenAPI 3.1
 * document from one call, so the document cannot leave a route out:
 *
 *   api.route('post', '/api/v1/count', { summary, body: CountBodySchema, response: FederatedCountResponseJson },
 *     async ({ body, request }) => …);
 */
export function createRestApi(app: FastifyInstance, info: { title: string; version: string; description: string }) {
  const entries: Entry[] = [];

  function route<Body extends z.ZodType | undefined = undefined, Query extends z.ZodType | undefined = undefined>(
    method: Lowercase<HTTPMethods>,
    path: string,
    spec: RouteSpec<Body, Query>,
    handler: (context: RouteContext<Body, Query>) => Promise<unknown>,
  ): void {
    entries.push({ method, path, spec: spec as Entry['spec'] });
    app.route({
      method: method.toUpperCase() as HTTPMethods,
      url: path,
      ...(spec.bodyLimit === undefined ? {} : { bodyLimit: spec.bodyLimit }),
      handler: async (request, reply) => {
        const body = (spec.body === undefined ? undefined : parseInput(spec.body, request.body, 'body')) as Output<Body>;
        const query = (spec.query === undefined ? undefined : parseInput(spec.query, request.query, 'query')) as Output<Query>;
        if (spec.status !== undefined) void reply.status(spec.status);
        return handler({ request, reply, body, query, params: (request.params ?? {}) as Record<string, string> });
      },
    });
  }

  /** The OpenAPI 3.1 document of every route registered so far. */
  function document(): Record<string, unknown> {
    const registry = z.registry<{ id: string }>();
    const ref = (schema: z.ZodType, fallback: string): { $ref: string } => {
      const id = (z.globalRegistry.get(schema)?.id as string | undefined) ?? fallback;
      if (!registry.has(schema)) registry.add(schema, { id });
      return { $ref: `#/components/schemas/${id}` };
    };
    const errorRef = ref(ErrorEnvelopeJson, 'Error');
    const paths: Record<string, Record<string, unknown>> = {};
    const bodyFields: [string, string, { $ref: string }][] = [];
    for (const { method, path, spec } of entries) {
      const name = `${method}${path.replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`;
      const codes = new Set<ErrorCode>(['INTERNAL', ...(spec.errors ?? [])]);
      if (spec.auth !== false) codes.add('UNAUTHENTICATED');
      if (spec.body !== undefined || spec.query !== undefined) codes.add('INVALID_ARGUMENT');
      if (spec.body !== undefined) codes.add('TOO_LARGE');
      const byStatus = new Map<number, ErrorCode[]>();
      for (const code of codes) byStatus.set(httpStatusOf(code), [...(byStatus.get(httpStatusOf(code)) ?? []), code]);
      const responses: Record<string, unknown> = {
        [String(spec.status ?? 200)]:
          spec.response instanceof z.ZodType
            ? { description: 'Success', content: { 'application/json': { schema: ref(spec.response, `${name}Response`) } } }
            : { description: spec.response.description, content: { [spec.response.text]: { schema: { type: 'string' } } } },
      };
      for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
        responses[String(status)] = { description: `Error (${list.sort().join(', ')}): {error: {code, message, issues}}`, content: { 'application/json': { schema: errorRef } } };
      }
      const parameters = [
        ...Object.entries(spec.params ?? {}).map(([param, description]) => ({ name: param, in: 'path', required: true, description, schema: { type: 'string' } })),
        ...(spec.query instanceof z.ZodObject
          ? Object.entries((z.toJSONSchema(spec.query, { io: 'input' }) as { properties?: Record<string, unknown>; required?: string[] }).properties ?? {}).map(
              ([param, schema]) => ({ name: param, in: 'query', required: (spec.query as z.ZodObject).shape[param]?.safeParse(undefined).success === false, schema }),
            )
          : []),
      ];
      const bodyRef = spec.body === undefined ? undefined : ref(spec.body, `${name}Request`);
      for (const [field, schema] of Object.entries(spec.bodyFields ?? {})) {
        if (bodyRef !== undefined) bodyFields.push([bodyRef.$ref.split('/').pop() as string, field, ref(schema, field.charAt(0).toUpperCase() + field.slice(1))]);
      }
      (paths[openApiPath(path)] ??= {})[method] = {
        operationId: name,
        summary: spec.summary,
        ...(spec.description === undefined ? {} : { description: spec.description }),
        ...(spec.auth === false ? { security: [] } : {}),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(bodyRef === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: bodyRef } } } }),
        responses,
      };
    }
    const generated = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` }) as {
      schemas: Record<string, Record<string, unknown>>;
    };
    // Schemas with an id of their own (`.meta({ id })`) that no route names directly come out under
    // `__shared`: give each its own entry, and point their references there.
    const { __shared: shared, ...named } = generated.schemas;
    const sharedDefs = (shared?.$defs ?? {}) as Record<string, Record<string, unknown>>;
    const schemas = JSON.parse(
      JSON.stringify({ ...sharedDefs, ...named }).replaceAll('#/components/schemas/__shared#/$defs/', '#/components/schemas/'),
    ) as Record<string, Record<string, unknown>>;
    for (const schema of Object.values(schemas)) delete schema.$schema;
    for (const [bodyId, field, target] of bodyFields) {
      const properties = schemas[bodyId]?.properties as Record<string, Record<string, unknown>> | undefined;
      if (properties) properties[field] = { ...properties[field], ...target };
    }
    return {
      openapi: '3.1.0',
      info,
      jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
      paths,
      components: {
        schemas,
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A researcher token: from `biospec coordinator researcher add`, or from an OpenID Connect provider the coordinator trusts.' } },
      },
      security: [{ bearer: [] }],
    };
  }

  return { route, document, routes: (): readonly { method: string; path: string }[] => entries.map(({ method, path }) => ({ method, path })) };
}

export type RestApi = ReturnType<typeof createRestApi>;
