/**
 * What the demo federation adds for the access workflow: each site's published collection
 * list (all but one of its collections described, so the undescribed cell shows too), and
 * one account per role, each with a bearer token in a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateEncryptionKey, type CollectionDescription } from '@biospec/access';
import { PROFILES } from '@biospec/synthetic';
import type { Role } from '@biospec/registry';
import { issueResearcher } from '@biospec/coordinator';
import type { DemoSite } from './demo-sites.js';

const title = (key: string) => key.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => `${dash ? ' ' : ''}${c.toUpperCase()}`);

/** The collections a demo site publishes: every named collection of its profile but the last (its site-wide one). */
export function demoCollections(site: DemoSite): CollectionDescription[] {
  const named = PROFILES[site.profile].collections.slice(0, -1);
  return named.map((c) => ({
    id: `${site.prefix}-${c.key}-${c.since}`,
    name: `${title(c.key)} collection`,
    description: `${title(c.key)} specimens collected since ${c.since} at ${site.name}.`,
    contact: { name: `${title(c.key)} curator`, email: `${c.key.toLowerCase()}@${site.id}.example.org` },
    accessConditions: 'Approved project, ethics vote and a material transfer agreement with the institution.',
  }));
}

/** One demo account: who, which roles, where its token is. */
export interface DemoAccount {
  name: string;
  subject: string;
  roles: Role[];
  tokenFile: string;
  token: string;
}

/** Accounts for every role: a researcher, a staff member (the access committee), and a steward and an operator per site. */
export async function createDemoAccounts(coordinatorDir: string, dir: string, sites: readonly DemoSite[]): Promise<{ accounts: DemoAccount[]; researcherKey: string }> {
  const plan: { name: string; subject: string; roles: Role[] }[] = [
    { name: 'Rita Researcher', subject: 'researcher@example.org', roles: ['researcher'] },
    { name: 'Sam Staff', subject: 'staff@example.org', roles: ['staff'] },
    ...sites.flatMap((s) => [
      { name: `Steward of ${s.id}`, subject: `steward@${s.id}.example.org`, roles: [`steward:${s.id}` as Role] },
      { name: `Operator of ${s.id}`, subject: `operator@${s.id}.example.org`, roles: [`operator:${s.id}` as Role] },
    ]),
  ];
  const tokens = path.join(dir, 'tokens');
  fs.mkdirSync(tokens, { recursive: true, mode: 0o700 });
  const accounts: DemoAccount[] = [];
  for (const p of plan) {
    const { token } = await issueResearcher(coordinatorDir, { subject: p.subject, name: p.name, email: p.subject, roles: p.roles });
    const tokenFile = path.join(tokens, `${p.subject.split('@')[0]}${p.roles[0]!.includes(':') ? `-${p.roles[0]!.split(':')[1]}` : ''}.token`);
    fs.writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
    accounts.push({ ...p, tokenFile, token });
  }
  const researcherKey = path.join(dir, 'researcher-key.jwk.json');
  const { privateJwk, publicJwk } = await generateEncryptionKey('X25519');
  fs.writeFileSync(researcherKey, JSON.stringify(privateJwk, null, 2) + '\n', { mode: 0o600 });
  fs.writeFileSync(`${researcherKey}.pub.json`, JSON.stringify(publicJwk, null, 2) + '\n');
  return { accounts, researcherKey };
}
