/**
 * The laboratory the membership attacks run in. Two node folders are made
 * once, identical but for one donor (the target): "in" holds the target, "out"
 * does not. Each trial copies one of them (a seeded coin decides which) into a
 * fresh folder, gives it a noise secret seeded by the trial, starts a real node
 * on 127.0.0.1 port 0 and lets the attacker ask signed questions over gRPC,
 * seeing exactly what a researcher would: the node's reply (figures, strata,
 * statuses, budget, charge) or its refusal (gRPC status and message).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { NodeServiceClient, type NodeResult } from '@biospec/protocol';
import type { DisclosurePolicy } from '@biospec/privacy';
import { importCsv } from '@biospec/catalogue';
import { generateCatalogue, writeCsv } from '@biospec/synthetic';
import type { Query, SpecimenRecord } from '@biospec/query';
import { generateSigningKey, importSigningKey, signQuery, type SigningKey } from '@biospec/trust';
import { initNodeDir, loadNodeConfig, openNode, startNodeServer } from '@biospec/node';
import {
  addMember,
  COORDINATOR_FILES,
  initCoordinatorDir,
  issueResearcher,
  loadCoordinatorConfig,
  openCoordinator,
  startCoordinatorHttp,
} from '@biospec/coordinator';
import { SignJWT } from 'jose';

export const LAB_NODE = 'lab-node';
/** Rate limits would only slow an attacker down; they are lifted so the measurement is of the protection. */
const NO_RATE_LIMIT = [{ limit: 1_000_000, windowSeconds: 60 }];

/** What the attacker sees of one question: the node's signed result, or its refusal. */
export type Reply = { ok: true; result: NodeResult } | { ok: false; code: number; message: string };

/** What the attacker sees of a question asked through the coordinator: the HTTP status and the JSON body. */
export interface RestReply {
  status: number;
  body: { sites?: { status: string; total?: { value?: string | number }; message?: string; charged?: number }[]; error?: { code: string; message: string } };
}

/** The attacker's sign-in identities at the lab's coordinator. */
export interface LabIdentities {
  /** A coordinator-issued token: the attacker's researcher record (e-mail mallory@example.org). */
  coordinator: string;
  /** The same person at an OpenID Connect provider that vouches for the same e-mail. */
  secondIssuer: string;
  /** An account at a provider whose unknown identities must be linked by staff. */
  unlinked: string;
}

/** One trial's node, as the attacker reaches it. */
export interface TrialNode {
  /** Asks one question as `researcher` (a pseudonym: a fresh one is a fresh person). */
  ask(query: Query, researcher?: string): Promise<Reply>;
  /** Asks one question through the lab's coordinator (REST), with one of the attacker's tokens. */
  askCoordinator(query: Query, token: string): Promise<RestReply>;
  /** The node's steward: releases every question held for review. */
  releaseHeld(): void;
}

export interface Lab {
  /** The catalogue everyone but the target is in (what a strong attacker is assumed to know). */
  others: SpecimenRecord[];
  identities: LabIdentities;
  /** The target donor's records. */
  target: SpecimenRecord[];
  /**
   * Runs `trials` trials: each starts a node holding the target or not (a
   * seeded coin), lets `attack` ask, and scores its guess. Returns the success
   * rate with a 95 % Wilson interval, and the ε the attacker was charged (the
   * largest over the trials, at one node).
   */
  run(name: string, trials: number, attack: (node: TrialNode) => Promise<boolean>, options?: RunOptions): Promise<AttackResult>;
  close(): void;
}

export interface RunOptions {
  /**
   * Trials run at once (default 2). A trial mostly waits for its node to start, so two share the
   * machine's cores; each has its own folder, node, port, coin and secret, so the result is the same
   * whatever the order. Trials that reach the lab's coordinator must run one at a time (1): it is one
   * coordinator, and each trial makes its own node the coordinator's member.
   */
  concurrency?: number;
}

export interface AttackResult {
  name: string;
  trials: number;
  successes: number;
  rate: number;
  low: number;
  high: number;
  /** Largest ε one trial's attacker was charged at the node. */
  epsilonSpent: number;
}

/** 95 % Wilson score interval of a binomial proportion. */
export function wilson(successes: number, trials: number): { low: number; high: number } {
  const z = 1.959964;
  const p = successes / trials;
  const denominator = 1 + (z * z) / trials;
  const centre = (p + (z * z) / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** The best any attacker can do after spending ε on one donor: e^ε / (1 + e^ε). */
export function dpBound(epsilon: number): number {
  return Math.exp(epsilon) / (1 + Math.exp(epsilon));
}

/** A deterministic pseudo-random bit per (label, i), so every run draws the same coins and secrets. */
function seeded(label: string, i: number): Buffer {
  return createHash('sha256').update(`${label}/${i}`).digest();
}

/**
 * A distinctive donor the attacker knows completely: a woman aged 37 with a
 * melanoma (C43.5), two FFPE blocks and a serum sample from one day.
 */
export function targetDonor(): SpecimenRecord[] {
  const base = {
    donor_id: 'TARGET-DONOR',
    collection_id: 'LAB-ONCO',
    collected_on: '2021-03-17',
    diagnosis: ['C43.5'],
    anatomical_site: null,
    sex: 'female' as const,
    age_at_collection: 37,
    consent: ['DUO:0000042'],
    status: 'available' as const,
    quantity: 2,
    parent_sample_id: null,
  };
  return [
    { ...base, sample_id: 'TARGET-1', material_type: 'tissue-ffpe', storage_temperature: 'RT', anatomical_site: 'C44.5' },
    { ...base, sample_id: 'TARGET-2', material_type: 'tissue-ffpe', storage_temperature: 'RT', anatomical_site: 'C44.5' },
    { ...base, sample_id: 'TARGET-3', material_type: 'serum', storage_temperature: '-60to-85' },
  ];
}

export async function openLab(policy: DisclosurePolicy, options: { donors?: number } = {}): Promise<Lab> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-lab-'));
  const others = [...generateCatalogue({ seed: 11, donors: options.donors ?? 300, profile: 'university-hospital', idPrefix: 'LAB' })];
  const target = targetDonor();
  const logger = pino({ level: 'silent' });

  // A coordinator of the lab's own, with a second identity provider that vouches for e-mail addresses and a third that does not.
  const coordinatorDir = path.join(root, 'coordinator');
  await initCoordinatorDir(coordinatorDir, { httpListen: '127.0.0.1:0', grpcListen: '127.0.0.1:0', rateLimits: NO_RATE_LIMIT });
  const idp = await importSigningKey((await generateSigningKey()).privateJwk);
  const idpJwks = path.join(coordinatorDir, 'idp.jwks.json');
  fs.writeFileSync(idpJwks, JSON.stringify({ keys: [idp.publicJwk] }));
  const coordinatorFile = path.join(coordinatorDir, COORDINATOR_FILES.config);
  const raw = JSON.parse(fs.readFileSync(coordinatorFile, 'utf8')) as Record<string, unknown>;
  raw['researcherIssuers'] = [
    { issuer: 'https://idp.lab.example', audience: 'biospec', jwks: 'idp.jwks.json', linkByVerifiedEmail: true },
    { issuer: 'https://other-idp.lab.example', audience: 'biospec', jwks: 'idp.jwks.json' },
  ];
  fs.writeFileSync(coordinatorFile, JSON.stringify(raw, null, 2));
  const coordinatorKey: SigningKey = await importSigningKey(JSON.parse(fs.readFileSync(path.join(coordinatorDir, COORDINATOR_FILES.signingKey), 'utf8')));
  const coordinatorJwks = path.join(coordinatorDir, COORDINATOR_FILES.publicKeys);
  const externalToken = (issuer: string, subject: string) =>
    new SignJWT({ email: 'mallory@example.org', email_verified: true })
      .setProtectedHeader({ alg: 'EdDSA', kid: idp.kid })
      .setIssuer(issuer)
      .setSubject(subject)
      .setAudience('biospec')
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(idp.key);
  const identities: LabIdentities = {
    coordinator: (await issueResearcher(coordinatorDir, { subject: 'mallory', email: 'mallory@example.org' })).token,
    secondIssuer: await externalToken('https://idp.lab.example', 'mallory-2'),
    unlinked: await externalToken('https://other-idp.lab.example', 'mallory-3'),
  };

  // Both folders get one import, so both sit at the same data epoch: the epoch a reply shows tells nothing.
  const templates: Record<'in' | 'out', string> = { in: path.join(root, 'in'), out: path.join(root, 'out') };
  for (const arm of ['in', 'out'] as const) {
    await initNodeDir(templates[arm], {
      nodeId: LAB_NODE,
      name: 'Lab Node',
      listen: '127.0.0.1:0',
      coordinatorJwks,
      policy: { ...policy, rateLimits: NO_RATE_LIMIT },
    });
    const csv = path.join(root, `${arm}.csv`);
    await writeCsv(arm === 'in' ? [...others, ...target] : others, csv);
    const node = await openNode(loadNodeConfig(path.join(templates[arm], 'node.json')), { logger });
    await importCsv(node.catalogue, csv, { actor: 'lab' });
    await node.close();
  }

  return {
    others,
    identities,
    target,
    async run(name, trials, attack, options = {}) {
      let successes = 0;
      let epsilonSpent = 0;
      const concurrency = Math.max(1, options.concurrency ?? 2);
      const runTrial = async (trial: number): Promise<void> => {
        const member = (seeded(`${name}/coin`, trial)[0] as number) % 2 === 0;
        const dir = path.join(root, `trial-${name}-${trial}`);
        fs.cpSync(member ? templates.in : templates.out, dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'noise-secret'), seeded(`${name}/secret`, trial), { mode: 0o600 });
        const node = await openNode(loadNodeConfig(path.join(dir, 'node.json')), { logger });
        const server = await startNodeServer(node);
        const client = new NodeServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
        const charged = new Map<string, number>();
        let coordinator: { url: string; stop(): Promise<void> } | undefined;
        const reachCoordinator = async () => {
          if (coordinator) return coordinator;
          if (concurrency !== 1) throw new Error(`attack '${name}' asks the lab's coordinator: run it with concurrency 1`);
          addMember(coordinatorDir, { id: LAB_NODE, name: 'Lab Node', endpoint: `127.0.0.1:${server.port}`, jwksFile: path.join(dir, 'node.jwks.json') });
          const opened = await openCoordinator(loadCoordinatorConfig(coordinatorFile), { logger });
          const http = await startCoordinatorHttp(opened);
          coordinator = {
            url: `http://${http.address}`,
            async stop() {
              await http.stop();
              await opened.close();
            },
          };
          return coordinator;
        };
        try {
          const guess = await attack({
            async ask(query, researcher = 'r-attacker') {
              const token = await signQuery({ query, purpose: 'DUO:0000006', researcher, project: 'attack', audience: LAB_NODE, issuer: 'coordinator' }, coordinatorKey);
              return new Promise<Reply>((resolve) =>
                client.count({ signedQuery: token }, new Metadata(), { deadline: Date.now() + 10_000 }, (err: ServiceError | null, res) => {
                  if (err) return resolve({ ok: false, code: err.code, message: err.details });
                  const result = res.result as NodeResult;
                  charged.set(researcher, (charged.get(researcher) ?? 0) + result.charged);
                  resolve({ ok: true, result });
                }),
              );
            },
            async askCoordinator(query, token) {
              const { url } = await reachCoordinator();
              const response = await fetch(`${url}/api/v1/count`, {
                method: 'POST',
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                body: JSON.stringify({ query, purpose: 'DUO:0000006', project: 'attack' }),
              });
              const body = (await response.json()) as RestReply['body'];
              for (const site of body.sites ?? []) charged.set('coordinator', (charged.get('coordinator') ?? 0) + (site.charged ?? 0));
              return { status: response.status, body };
            },
            releaseHeld() {
              for (const held of node.holds.list('held')) node.holds.release(held.id, 'lab steward');
            },
          });
          if (guess === member) successes += 1;
          epsilonSpent = Math.max(epsilonSpent, ...charged.values(), 0);
        } finally {
          await coordinator?.stop();
          client.close();
          await server.stop(100);
          fs.rmSync(dir, { recursive: true, force: true });
        }
      };
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < trials) await runTrial(next++);
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const { low, high } = wilson(successes, trials);
      return { name, trials, successes, rate: successes / trials, low, high, epsilonSpent };
    },
    close() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
