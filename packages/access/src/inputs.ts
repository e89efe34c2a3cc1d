/**
 * What callers send to the access workflow, checked with zod at the boundary: the same
 * schemas serve REST bodies, gRPC messages and the CLI, so every interface refuses the same
 * input with the same issues.
 */
import { BiospecError } from '@biospec/protocol';
import { isUseCategory, USE_CATEGORIES } from '@biospec/query';
import { NODE_ID_PATTERN } from '@biospec/registry';
import { z } from 'zod';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected lowercase hex SHA-256');

export const AttachmentSchema = z
  .object({
    name: z.string().min(1, 'name is empty').max(255),
    sha256: hex64,
    bytes: z.number().int().nonnegative().optional(),
  })
  .strict();

export const RequestedCollectionSchema = z
  .object({
    nodeId: z.string().regex(NODE_ID_PATTERN, 'not a node id'),
    collectionId: z.string().min(1).max(64),
  })
  .strict();

export const OriginSchema = z
  .object({
    kind: z.enum(['availability', 'count']),
    query: z.unknown(),
    /** When given, must be the hash of the query's canonical form. */
    queryHash: hex64.optional(),
    /** The saved result bundle (`biospec availability --save`), checked against the nodes' keys. */
    bundle: z.unknown().optional(),
  })
  .strict();

const purpose = z.string().refine(isUseCategory, `purpose must be one of ${USE_CATEGORIES.join(', ')}`);

const fields = {
  title: z.string().trim().min(1, 'title is empty').max(200),
  description: z.string().max(20_000),
  ethicsReference: z.string().max(200),
  purpose,
  origin: OriginSchema,
  collections: z.array(RequestedCollectionSchema).min(1, 'ask at least one collection').max(500),
  attachments: z.array(AttachmentSchema).max(50),
  encryptionKey: z.record(z.string(), z.unknown()).nullable(),
};

/** A new request (a draft): what a researcher must say at once; the rest can follow before submitting. */
export const CreateRequestSchema = z
  .object({
    ...fields,
    description: fields.description.default(''),
    ethicsReference: fields.ethicsReference.default(''),
    attachments: fields.attachments.default([]),
    encryptionKey: fields.encryptionKey.default(null),
  })
  .strict();
export type CreateRequestInput = z.input<typeof CreateRequestSchema>;

/** Changes to a draft or returned request: any of its fields. */
export const UpdateRequestSchema = z.object(fields).partial().strict();
export type UpdateRequestInput = z.input<typeof UpdateRequestSchema>;

/** A transition of a request or a site: why, as the timeline shows it. */
export const TransitionSchema = z.object({ reason: z.string().max(2000).default('') }).strict();

export const CommentSchema = z
  .object({
    body: z.string().trim().min(1, 'comment is empty').max(10_000),
    /** The site the comment is about, if any. */
    nodeId: z.string().regex(NODE_ID_PATTERN, 'not a node id').optional(),
  })
  .strict();

export const RevokeSchema = z.object({ reason: z.string().trim().min(1, 'a revocation needs a reason').max(2000) }).strict();

/**
 * Parses `input` with `schema`, or throws INVALID_ARGUMENT with every issue located.
 * @throws BiospecError INVALID_ARGUMENT.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new BiospecError('INVALID_ARGUMENT', `${what} is invalid`, {
      issues: parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(body)', message: i.message })),
    });
  }
  return parsed.data;
}
