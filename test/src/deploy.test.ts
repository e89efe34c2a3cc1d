/**
 * deploy/: the Helm chart passes `helm lint --strict` and renders, with default and with every
 * feature on, to manifests valid against the Kubernetes (and Prometheus Operator) schemas, whose
 * node.json and coordinator.json the services accept; the compose file gives each service its
 * own volume; the images have a HEALTHCHECK and run unprivileged; the systemd units verify and
 * are hardened. No container engine or cluster runs here: what these checks cannot show is listed
 * in deploy/README.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigMap, PersistentVolumeClaim, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { parseNodeConfig } from '@biospec/node';
import { parseCoordinatorConfig } from '@biospec/coordinator';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const chart = path.join(repo, 'deploy/helm/biospec');
const fullValues = path.join(chart, 'ci/full-values.yaml');
// Where scripts/helm-binary.mjs puts it.
const helm = path.join(process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache'), 'biospec/helm-v4.1.4/helm');

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: unknown };

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/Ingress': Ingress,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

function runHelm(args: string[]): { status: number; stdout: string; stderr: string } {
  if (!fs.existsSync(helm)) throw new Error(`no helm at ${helm}: run node scripts/setup-test-deps.mjs (npm test does)`);
  const run = spawnSync(helm, args, { encoding: 'utf8', env: { ...process.env, HELM_CACHE_HOME: '/tmp/biospec-helm-cache', HELM_CONFIG_HOME: '/tmp/biospec-helm-config' } });
  return { status: run.status ?? 1, stdout: run.stdout, stderr: run.stderr };
}

function render(values?: string): Manifest[] {
  const run = runHelm(['template', 'biospec', chart, ...(values ? ['-f', values] : [])]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return parseAllDocuments(run.stdout).map((d) => d.toJS() as Manifest | null).filter((d): d is Manifest => d !== null);
}

function validate(manifests: Manifest[]): void {
  for (const manifest of manifests) {
    const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
    if (model === undefined) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
    try {
      new model(manifest as never).validate();
    } catch (error) {
      throw new Error(`${manifest.kind} ${manifest.metadata.name} does not validate: ${(error as Error).message}`);
    }
  }
}

test('helm lint --strict passes with the default values and with every feature on', () => {
  for (const values of [[], ['-f', fullValues]]) {
    const lint = runHelm(['lint', chart, '--strict', ...values]);
    expect(lint.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(lint.status).toBe(0);
  }
});

test('the default rendering (a coordinator on SQLite) validates against the Kubernetes schemas', () => {
  const manifests = render();
  expect(manifests.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'Service']);
  validate(manifests);
  const deployment = manifests.find((m) => m.kind === 'Deployment') as unknown as { spec: { strategy: { type: string } } };
  expect(deployment.spec.strategy.type).toBe('Recreate');
});

test('every feature on: coordinator replicas on PostgreSQL, Ingress, node StatefulSets with volumes, secrets, probes, ServiceMonitor', () => {
  const manifests = render(fullValues);
  validate(manifests);
  const kinds = manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort();
  expect(kinds).toEqual([
    'ConfigMap/biospec-coordinator',
    'ConfigMap/biospec-node-heart-centre',
    'ConfigMap/biospec-node-uh-berlin',
    'Deployment/biospec-coordinator',
    'Ingress/biospec-coordinator',
    'Service/biospec-coordinator',
    'Service/biospec-node-heart-centre',
    'Service/biospec-node-uh-berlin',
    'ServiceMonitor/biospec-biospec',
    'StatefulSet/biospec-node-heart-centre',
    'StatefulSet/biospec-node-uh-berlin',
  ]);
  const node = manifests.find((m) => m.metadata.name === 'biospec-node-uh-berlin' && m.kind === 'StatefulSet') as any;
  const container = node.spec.template.spec.containers[0];
  expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
  expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
  expect(node.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('50Gi');
  expect(node.spec.template.spec.volumes.map((v: any) => v.secret?.secretName).filter(Boolean)).toEqual(['biospec-node-uh-berlin-keys', 'biospec-node-uh-berlin-tls']);
  expect(node.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
  const coordinator = manifests.find((m) => m.kind === 'Deployment') as any;
  expect(coordinator.spec.replicas).toBe(2);
  expect(coordinator.spec.template.spec.containers[0].env).toContainEqual({
    name: 'BIOSPEC_COORDINATOR_DATABASE_URL',
    valueFrom: { secretKeyRef: { name: 'biospec-coordinator-db', key: 'url' } },
  });

  // The config files the chart writes are ones the services accept.
  const data = (name: string) => (manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === name) as any).data;
  const nodeConfig = parseNodeConfig(JSON.parse(data('biospec-node-uh-berlin')['node.json']), '/var/lib/biospec');
  expect(nodeConfig).toMatchObject({ nodeId: 'uh-berlin', tls: { cert: '/var/lib/biospec/tls/tls.crt' }, policy: { rounding: 10 } });
  const coordinatorConfig = parseCoordinatorConfig(JSON.parse(data('biospec-coordinator')['coordinator.json']), '/var/lib/biospec');
  expect(coordinatorConfig.nodes.map((n) => n.jwks)).toEqual(['/var/lib/biospec/member-uh-berlin.jwks.json']);
  expect(Object.keys(data('biospec-coordinator'))).toContain('member-uh-berlin.jwks.json');
});

test('the chart refuses coordinator replicas on SQLite, and the schema check catches a broken manifest', () => {
  const refused = runHelm(['template', 'biospec', chart, '--set', 'coordinator.replicas=2']);
  expect(refused.status).not.toBe(0);
  expect(refused.stderr).toMatch(/coordinator.replicas > 1 needs PostgreSQL/);
  const broken = render().map((m) => (m.kind === 'Deployment' ? { ...m, spec: { ...(m.spec as object), replicas: 'two' } } : m));
  expect(() => validate(broken)).toThrow(/Deployment biospec-coordinator does not validate: .*replicas must be integer/);
});

test('compose: a coordinator and three nodes, each with a volume of its own, waiting for healthy nodes', () => {
  const compose = parse(fs.readFileSync(path.join(repo, 'deploy/compose.yaml'), 'utf8'), { merge: true }) as any;
  const services = ['coordinator', 'node-a', 'node-b', 'node-c'];
  const volumes = services.map((s) => (compose.services[s].volumes as string[]).map((v) => v.split(':')[0]));
  expect(volumes).toEqual([['coordinator-data'], ['node-a-data'], ['node-b-data'], ['node-c-data']]);
  expect(Object.keys(compose.volumes).sort()).toEqual(['coordinator-data', 'node-a-data', 'node-b-data', 'node-c-data']);
  expect(compose.services.coordinator.depends_on['node-a']).toEqual({ condition: 'service_healthy' });
  for (const s of services) expect(compose.services[s]).toMatchObject({ read_only: true, cap_drop: ['ALL'] });
});

test('the Dockerfile builds a node and a coordinator image, each with a HEALTHCHECK, running as an unprivileged user', () => {
  const dockerfile = fs.readFileSync(path.join(repo, 'deploy/Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const stage = (name: string) => stages.find((s) => s.split('\n')[0]!.endsWith(` AS ${name}`)) ?? '';
  expect(stage('runtime')).toMatch(/^USER 10001:10001$/m);
  for (const target of ['node', 'coordinator']) {
    expect(stage(target).split('\n')[0]).toBe(`runtime AS ${target}`);
    expect(stage(target)).toMatch(/^HEALTHCHECK .* CMD \["node", "\/app\/healthcheck\.mjs"\]$/m);
  }
  expect(fs.existsSync(path.join(repo, 'deploy/healthcheck.mjs'))).toBe(true);
});

test.each(['biospec-node.service', 'biospec-coordinator.service'])('the systemd unit %s verifies and is hardened', (unit) => {
  const file = path.join(repo, 'deploy/systemd', unit);
  expect(execFileSync('systemd-analyze', ['verify', '--man=no', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toBe('');
  const security = execFileSync('systemd-analyze', ['security', '--offline=true', file], { encoding: 'utf8' });
  const exposure = Number(/Overall exposure level for .*: (\d+\.\d+)/.exec(security)?.[1]);
  // systemd's scale: 0 (fully sandboxed) to 10; below 2 is rated OK.
  expect(exposure).toBeLessThan(2);
});
