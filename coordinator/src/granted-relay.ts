/**
 * Relays one granted availability question to one site and its encrypted answer back: the
 * coordinator signs the question (with the request and the revocation list in force), sends
 * the grant, the list and the researcher's public key with it, and gets back a JWE only the
 * researcher can open. It records that the answer was delivered (its hash and size); it never
 * holds what is inside.
 */
import { Metadata } from '@grpc/grpc-js';
import { BiospecError, type ErrorCode, type GrantedAvailabilityResponse } from '@biospec/protocol';
import type { GrantedFetch } from '@biospec/access';
import { nodeRefusalOf } from '@biospec/federation';
import { signQuery, type SigningKey } from '@biospec/trust';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Member } from './members.js';

export interface GrantedRelayInput {
  coordinatorId: string;
  signingKey: SigningKey;
  queryLifetimeSeconds: number;
  member: Member;
  /** The researcher's pseudonym, as the grant's subject names it. */
  researcher: string;
  fetch: GrantedFetch;
  deadline: Date;
}

/** The node's refusal, as the researcher's error: the node's own code and message. */
function refusalOf(nodeId: string, reason: unknown): BiospecError {
  const refusal = nodeRefusalOf(reason);
  const fallback: ErrorCode =
    refusal.code === GrpcStatus.DEADLINE_EXCEEDED ? 'DEADLINE_EXCEEDED' : refusal.code === GrpcStatus.UNAVAILABLE ? 'UNAVAILABLE' : 'INTERNAL';
  const message = refusal.details.replace(/^[A-Z_]+: /, '');
  return new BiospecError(refusal.reason ?? fallback, `node ${nodeId}: ${message}`, { cause: reason });
}

export async function relayGrantedQuestion(input: GrantedRelayInput): Promise<string> {
  const { fetch, member } = input;
  const token = await signQuery(
    {
      query: fetch.request.origin.query,
      purpose: fetch.request.purpose,
      researcher: input.researcher,
      project: fetch.request.id,
      audience: member.id,
      issuer: input.coordinatorId,
      lifetimeSeconds: input.queryLifetimeSeconds,
      question: 'granted-availability',
      request: fetch.request.id,
      revocations: { version: fetch.revocations.version, sha256: fetch.revocations.sha256 },
    },
    input.signingKey,
  );
  let response: GrantedAvailabilityResponse;
  try {
    response = await new Promise<GrantedAvailabilityResponse>((resolve, reject) =>
      member.access.grantedAvailability(
        { signedQuery: token, grant: fetch.grant.token, revocationList: fetch.revocations.token, recipientJwkJson: JSON.stringify(fetch.request.encryptionKey) },
        new Metadata(),
        { deadline: input.deadline },
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
  } catch (reason) {
    throw refusalOf(member.id, reason);
  }
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){4}$/.test(response.encryptedAnswer)) {
    throw new BiospecError('INTERNAL', `node ${member.id} sent something other than a compact JWE`);
  }
  return response.encryptedAnswer;
}
