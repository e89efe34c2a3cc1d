import { Metadata, credentials } from '@grpc/grpc-js';
import { EXACT_POLICY } from '@biospec/privacy';
import { generateCatalogue } from '@biospec/synthetic';
import { CoordinatorServiceClient, FederatedCountResponse } from '@biospec/protocol';
import type { SpecimenRecord } from '@biospec/query';
import { DEMO_SITES, demoCatalogueOptions, startDemoFederation, type DemoFederation, type DemoOptions, type DemoSite } from '@biospec/cli';

const GENEROUS = [{ limit: 100000, windowSeconds: 60 }];

/**
 * The demo's three sites with the exact policy (threshold 0, no rounding, no
 * noise), so every released figure can be compared with ground truth.
 */
export const EXACT_SITES: readonly DemoSite[] = DEMO_SITES.map((site) => ({
  ...site,
  policy: { ...EXACT_POLICY, rateLimits: GENEROUS },
}));

export interface ExactFederation {
  federation: DemoFederation;
  /** Each site's generated records, regenerated from the same seed: the ground truth. */
  records: Map<string, SpecimenRecord[]>;
  url: string;
  grpcClient: CoordinatorServiceClient;
  /** REST call as a researcher; returns status and parsed body. */
  rest(path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  /** gRPC FederatedCount as a researcher. */
  grpcCount(request: { queryJson: string; purpose: string; project: string; deadlineMs?: number }, token?: string): Promise<FederatedCountResponse>;
  stop(): Promise<void>;
}

export interface ExactFederationOptions {
  donorsPerSite?: number;
  sites?: readonly DemoSite[];
  /** The coordinator's per-researcher limits; effectively none by default. */
  rateLimits?: { limit: number; windowSeconds: number }[];
  /** Edits a site's node config before its node starts. */
  nodeConfig?: DemoOptions['nodeConfig'];
  /** Edits the coordinator's config before it starts. */
  coordinatorConfig?: DemoOptions['coordinatorConfig'];
  /** The coordinator's logger (its lines only; the nodes log elsewhere). */
  coordinatorLogger?: DemoOptions['coordinatorLogger'];
}

export async function startExactFederation(options: ExactFederationOptions = {}): Promise<ExactFederation> {
  const donorsPerSite = options.donorsPerSite ?? 400;
  const sites = options.sites ?? EXACT_SITES;
  const federation = await startDemoFederation({
    sites,
    donorsPerSite,
    rateLimits: options.rateLimits ?? GENEROUS,
    ...(options.nodeConfig ? { nodeConfig: options.nodeConfig } : {}),
    ...(options.coordinatorConfig ? { coordinatorConfig: options.coordinatorConfig } : {}),
    ...(options.coordinatorLogger ? { coordinatorLogger: options.coordinatorLogger } : {}),
  });
  const records = new Map(sites.map((site, index) => [site.id, [...generateCatalogue(demoCatalogueOptions(site, index, { donorsPerSite }))]]));
  const url = `http://${federation.http.address}`;
  const grpcClient = new CoordinatorServiceClient(federation.grpc.address, credentials.createInsecure());
  return {
    federation,
    records,
    url,
    grpcClient,
    async rest(path, body, token = federation.token) {
      const response = await fetch(url + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return { status: response.status, body: await response.json() };
    },
    grpcCount(request, token = federation.token) {
      const metadata = new Metadata();
      if (token) metadata.set('authorization', `Bearer ${token}`);
      return new Promise((resolve, reject) =>
        grpcClient.federatedCount({ deadlineMs: 0, ...request }, metadata, (err, res) => (err ? reject(err) : resolve(res))),
      );
    },
    async stop() {
      grpcClient.close();
      await federation.stop();
    },
  };
}
