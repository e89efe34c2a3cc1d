import { createHmac } from 'node:crypto';
import type { ResearcherIdentity } from '@biospec/trust';

/**
 * The stable pseudonym nodes see instead of a researcher's login:
 * `r-` and the first 24 hex characters of HMAC-SHA256(secret, issuer + "\n" + subject).
 * The coordinator's own audit log records the same pseudonym.
 */
export function researcherPseudonym(secret: Uint8Array, identity: ResearcherIdentity): string {
  return 'r-' + createHmac('sha256', secret).update(`${identity.issuer}\n${identity.subject}`).digest('hex').slice(0, 24);
}
