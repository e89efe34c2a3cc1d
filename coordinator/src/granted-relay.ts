/**
 * Relays one granted availability question to one site and its encrypted answer back: the
 * coordinator signs the question (with the request and the revocation list in force), sends
 * the grant, the list and the researcher's public key with it, and gets back a JWE only the
 * researcher can open. It records that the answer was delivered (its hash and size); it never
 * holds what is inside.
 */
import { BiospecError, NodeServiceService, type GrantedAvailabilityResponse } from '@biospec/protocol';
import type { GrantedFetch } from '@biospec/access';
import { signQuery, type SigningKey } from '@biospec/trust';
import type { Member } from './members.js';
import { nodeCallError } from './node-call-error.js';

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
    response = await member.call(
      NodeServiceService.grantedAvailability,
      { signedQuery: token, grant: fetch.grant.token, revocationList: fetch.revocations.token, recipientJwkJson: JSON.stringify(fetch.request.encryptionKey) },
      input.deadline,
      { large: true },
    );
  } catch (reason) {
    throw nodeCallError(member.id, reason);
  }
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){4}$/.test(response.encryptedAnswer)) {
    throw new BiospecError('INTERNAL', `node ${member.id} sent something other than a compact JWE`);
  }
  return response.encryptedAnswer;
}
