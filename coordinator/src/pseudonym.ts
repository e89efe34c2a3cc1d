import { createHmac } from 'node:crypto';
import type { Person } from '@biospec/registry';

/**
 * The stable pseudonym nodes see instead of a researcher's login: `r-` and
 * the first 24 hex characters of HMAC-SHA256(secret, "person\n" + record id).
 * One per researcher record, whatever identity provider or project a
 * question comes with, so every node keeps one budget per person. The
 * coordinator's own audit log records the same pseudonym.
 */
export function researcherPseudonym(secret: Uint8Array, person: Pick<Person, 'id'>): string {
  return 'r-' + createHmac('sha256', secret).update(`person\n${person.id}`).digest('hex').slice(0, 24);
}
