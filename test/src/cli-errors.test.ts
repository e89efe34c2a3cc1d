import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { biospec } from './harness/cli.js';

// Every command of the CLI, given the bad input a person typically gives it, says so in one
// line naming the file, flag or field, exits 1, never prints a stack trace and writes nothing.
let work: string;

const at = (...parts: string[]) => path.join(work, ...parts);

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-cli-errors-'));
  const setup = [
    ['coordinator', 'init', '--dir', at('coordinator')],
    ['node', 'init', '--dir', at('node'), '--id', 'my-biobank', '--name', 'My Biobank', '--coordinator-jwks', at('coordinator', 'coordinator.jwks.json')],
    ['keys', 'generate', '--out', at('private.jwk.json')],
  ];
  for (const args of setup) expect(await biospec(args)).toMatchObject({ code: 0 });
  fs.writeFileSync(at('not-json.txt'), 'not json\n');
  fs.writeFileSync(at('private.jwks.json'), JSON.stringify({ keys: [JSON.parse(fs.readFileSync(at('private.jwk.json'), 'utf8'))] }));
  fs.mkdirSync(at('empty'));
  fs.writeFileSync(
    at('bad-row.csv'),
    'sample_id,donor_id,collection_id,material_type,collected_on,diagnosis,anatomical_site,sex,age_at_collection,storage_temperature,consent,status,quantity,parent_sample_id\n' +
      'S1,D1,C1,blood,2019,C50,,female,50,LN,DUO:0000042,available,1,\n',
  );
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const cases: [string, () => string[], RegExp, Record<string, string>?][] = [
  ['node init: the coordinator keys file does not exist', () => ['node', 'init', '--dir', at('new-node'), '--id', 'n1', '--name', 'N', '--coordinator-jwks', at('coordinator.jwks.json')], /^error \(NOT_FOUND\): coordinator keys .*\/coordinator\.jwks\.json do not exist; they come from the coordinator's staff/],
  ['node init: the coordinator keys are not JSON', () => ['node', 'init', '--dir', at('new-node'), '--id', 'n1', '--name', 'N', '--coordinator-jwks', at('not-json.txt')], /^error \(INVALID_CONFIG\): cannot read coordinator keys .*not-json\.txt: /],
  ['node init: a private key instead of a JWKS', () => ['node', 'init', '--dir', at('new-node'), '--id', 'n1', '--name', 'N', '--coordinator-jwks', at('private.jwk.json')], /^error \(INVALID_CONFIG\): coordinator keys .*private\.jwk\.json is not a JWKS/],
  ['node init: a JWKS with private key material', () => ['node', 'init', '--dir', at('new-node'), '--id', 'n1', '--name', 'N', '--coordinator-jwks', at('private.jwks.json')], /^error \(INVALID_CONFIG\): coordinator keys .*private\.jwks\.json: field keys\[0\]: private key material \(d\).*never its private key\)$/],
  ['node init: an id with spaces', () => ['node', 'init', '--dir', at('new-node'), '--id', 'My Biobank', '--name', 'N'], /^error \(INVALID_ARGUMENT\): invalid node settings: field --id: lowercase letters, digits and dashes/],
  ['node init: a listen address without a port', () => ['node', 'init', '--dir', at('new-node'), '--id', 'n1', '--name', 'N', '--listen', 'biobank.example.org'], /^error \(INVALID_ARGUMENT\): invalid node settings: field --listen: host:port$/],
  ['node init: an unknown policy preset', () => ['node', 'init', '--dir', at('new-node'), '--id', 'n1', '--name', 'N', '--policy', 'strict'], /^error \(INVALID_ARGUMENT\): --policy: unknown policy preset 'strict'/],
  ['node init: a folder that holds a node', () => ['node', 'init', '--dir', at('node'), '--id', 'n1', '--name', 'N'], /^error \(ALREADY_EXISTS\): .*node\/node\.json already exists/],
  ['node init: a folder with other files', () => ['node', 'init', '--dir', at('coordinator'), '--id', 'n1', '--name', 'N'], /^error \(ALREADY_EXISTS\): .*coordinator is not empty; a node needs a folder of its own/],
  ['node init: a required flag left out', () => ['node', 'init', '--dir', at('new-node'), '--id', 'n1'], /^error: required option '--name <name>' not specified \(--help lists the options\)$/],
  ['node init: an unknown flag', () => ['node', 'init', '--dir', at('new-node'), '--id', 'n1', '--name', 'N', '--coordinator', 'x'], /^error: unknown option '--coordinator' \(Did you mean --coordinator-id\?\) \(--help lists the options\)$/],
  ['node trust-coordinator: no such keys file', () => ['node', 'trust-coordinator', at('missing.jwks.json'), '--dir', at('node')], /^error \(NOT_FOUND\): coordinator keys .*missing\.jwks\.json do not exist/],
  ['node trust-coordinator: not a node folder', () => ['node', 'trust-coordinator', at('coordinator', 'coordinator.jwks.json'), '--dir', at('empty')], /^error \(NOT_FOUND\): .*empty is not a node folder \(no node\.json\); create one with `biospec node init/],
  ['node import: no such file', () => ['node', 'import', at('missing.csv'), '--dir', at('node')], /^error \(NOT_FOUND\): no such file: .*missing\.csv$/],
  ['node import: one bad row', () => ['node', 'import', at('bad-row.csv'), '--dir', at('node')], /^error \(INVALID_DATA\): 1 of 1 rows rejected; nothing was imported: line 2, field material_type: unknown material type 'blood'/],
  ['node import: not a node folder', () => ['node', 'import', at('bad-row.csv'), '--dir', at('empty')], /^error \(NOT_FOUND\): .*empty is not a node folder/],
  ['node start: not a node folder', () => ['node', 'start', '--dir', at('empty')], /^error \(NOT_FOUND\): .*empty is not a node folder/],
  ['node withdraw: not a node folder', () => ['node', 'withdraw', '--donor', 'D1', '--dir', at('empty')], /^error \(NOT_FOUND\): .*empty is not a node folder/],
  ['node policy: not a node folder', () => ['node', 'policy', '--dir', at('missing')], /^error \(NOT_FOUND\): .*missing is not a node folder/],
  ['node holds list: not a node folder', () => ['node', 'holds', 'list', '--dir', at('empty')], /^error \(NOT_FOUND\): .*empty is not a node folder/],
  ['node holds release: no such held question', () => ['node', 'holds', 'release', '7', '--steward', 'me', '--dir', at('node')], /^error \(NOT_FOUND\): no held question 7$/],
  ['node audit: not a node folder', () => ['node', 'audit', '--dir', at('empty')], /^error \(NOT_FOUND\): .*empty is not a node folder/],
  ['coordinator init: a gRPC address without a port', () => ['coordinator', 'init', '--dir', at('new-coordinator'), '--grpc', 'coordinator.example.org'], /^error \(INVALID_ARGUMENT\): invalid coordinator settings: field --grpc: host:port$/],
  ['coordinator init: a folder that holds a coordinator', () => ['coordinator', 'init', '--dir', at('coordinator')], /^error \(ALREADY_EXISTS\): .*coordinator\.json already exists/],
  ['coordinator add-node: no such keys file', () => ['coordinator', 'add-node', '--dir', at('coordinator'), '--id', 'my-biobank', '--name', 'N', '--endpoint', 'biobank.example.org:50051', '--jwks', at('node.jwks.json')], /^error \(NOT_FOUND\): node keys .*node\.jwks\.json do not exist; they come from the node's operator/],
  ['coordinator add-node: a private key', () => ['coordinator', 'add-node', '--dir', at('coordinator'), '--id', 'my-biobank', '--name', 'N', '--endpoint', 'biobank.example.org:50051', '--jwks', at('private.jwks.json')], /^error \(INVALID_CONFIG\): node keys .*private\.jwks\.json: keys\[0\] is a private key/],
  ['coordinator add-node: an id with spaces', () => ['coordinator', 'add-node', '--dir', at('coordinator'), '--id', 'My Biobank', '--name', 'N', '--endpoint', 'biobank.example.org:50051', '--jwks', at('node', 'node.jwks.json')], /^error \(INVALID_ARGUMENT\): invalid coordinator settings: field --id: lowercase letters/],
  ['coordinator add-node: an endpoint without a port', () => ['coordinator', 'add-node', '--dir', at('coordinator'), '--id', 'my-biobank', '--name', 'N', '--endpoint', 'biobank.example.org', '--jwks', at('node', 'node.jwks.json')], /^error \(INVALID_ARGUMENT\): invalid coordinator settings: field --endpoint: host:port$/],
  ['coordinator add-node: not a coordinator folder', () => ['coordinator', 'add-node', '--dir', at('empty'), '--id', 'my-biobank', '--name', 'N', '--endpoint', 'biobank.example.org:50051', '--jwks', at('node', 'node.jwks.json')], /^error \(NOT_FOUND\): .*empty is not a coordinator folder \(no coordinator\.json\)/],
  ['coordinator researcher add: not a coordinator folder', () => ['coordinator', 'researcher', 'add', '--dir', at('empty'), '--subject', 'alice@example.org'], /^error \(NOT_FOUND\): .*empty is not a coordinator folder/],
  ['coordinator researcher link: no such record', () => ['coordinator', 'researcher', 'link', '--dir', at('coordinator'), '--person', 'nobody', '--issuer', 'https://idp.example.org', '--subject', 's'], /^error \(NOT_FOUND\): .*nobody/],
  ['coordinator researcher list: not a coordinator folder', () => ['coordinator', 'researcher', 'list', '--dir', at('empty')], /^error \(NOT_FOUND\): .*empty is not a coordinator folder/],
  ['coordinator start: not a coordinator folder', () => ['coordinator', 'start', '--dir', at('empty')], /^error \(NOT_FOUND\): .*empty is not a coordinator folder/],
  ['coordinator audit: not a coordinator folder', () => ['coordinator', 'audit', '--dir', at('empty')], /^error \(NOT_FOUND\): .*empty is not a coordinator folder/],
  ['query: no token', () => ['query', '--url', 'http://127.0.0.1:9', '--diagnosis', 'C50'], /^error \(UNAUTHENTICATED\): no researcher token: pass --token or set BIOSPEC_TOKEN$/, { BIOSPEC_TOKEN: '' }],
  ['query: an age range that is not one', () => ['query', '--url', 'http://127.0.0.1:9', '--age', 'forty'], /^error \(INVALID_QUERY\): --age takes FROM-TO/, { BIOSPEC_TOKEN: 'x' }],
  ['query: a diagnosis that is not ICD-10', () => ['query', '--url', 'http://127.0.0.1:9', '--diagnosis', 'breast'], /^error \(INVALID_QUERY\): invalid query: field where.codes\[0\]: 'breast' is not an ICD-10 code, range or chapter/, { BIOSPEC_TOKEN: 'x' }],
  ['query: no coordinator at the address', () => ['query', '--url', 'http://127.0.0.1:9', '--diagnosis', 'C50'], /^error \(UNAVAILABLE\): cannot reach the coordinator at http:\/\/127\.0\.0\.1:9/, { BIOSPEC_TOKEN: 'x' }],
  ['query: no such query file', () => ['query', '--url', 'http://127.0.0.1:9', '--query-file', at('missing.json')], /^error \(ENOENT\): cannot open .*missing\.json: no such file or directory$/, { BIOSPEC_TOKEN: 'x' }],
  ['nodes: no coordinator at the address', () => ['nodes', '--url', 'http://127.0.0.1:9'], /^error \(UNAVAILABLE\): cannot reach the coordinator at http:\/\/127\.0\.0\.1:9/, { BIOSPEC_TOKEN: 'x' }],
  ['verify: no such bundle', () => ['verify', at('missing.json')], /^error \(INVALID_DATA\): cannot read .*missing\.json: /],
  ['verify: not JSON', () => ['verify', at('not-json.txt')], /^error \(INVALID_DATA\): cannot read .*not-json\.txt: /],
  ['audit verify: no such log', () => ['audit', 'verify', at('missing.db'), '--jwks', at('node', 'node.jwks.json')], /^error \(NOT_FOUND\): no audit log at .*missing\.db$/],
  ['keys generate: into a folder that does not exist', () => ['keys', 'generate', '--out', at('missing', 'key.jwk.json')], /^error \(NOT_FOUND\): --out .*missing\/key\.jwk\.json: folder .*missing does not exist; create it first$/],
  ['keys generate: over an existing key', () => ['keys', 'generate', '--out', at('private.jwk.json')], /^error \(ALREADY_EXISTS\): --out .*private\.jwk\.json already exists/],
  ['generate: an unknown format', () => ['generate', '--out', at('x.csv'), '--format', 'xml'], /^error \(INVALID_ARGUMENT\): unknown format 'xml'/],
  ['generate: a donor count that is not a number', () => ['generate', '--out', at('x.csv'), '--donors', 'many'], /^error \(INVALID_ARGUMENT\): .*field donors: must be a non-negative integer$/],
  ['demo: a donor count that is not a number', () => ['demo', '--donors', 'many', '--dir', at('demo')], /^error \(INVALID_ARGUMENT\): --donors: 'many' is not a whole number of donors/],
];

// Every row has all four entries: jest takes a test function with more parameters than its row for one awaiting `done`.
test.each(cases.map(([name, args, message, env]) => [name, args, message, env ?? {}] as const))('%s', async (_name, args, message, env) => {
  const coordinatorBefore = fs.readFileSync(at('coordinator', 'coordinator.json'), 'utf8');
  const result = await biospec(args(), { env });
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  expect({ code: result.code, lines, stdout: result.stdout }).toEqual({ code: 1, lines: [expect.stringMatching(message)], stdout: '' });
  // Nothing half-made: no new folder, the coordinator's members as they were.
  for (const made of ['new-node', 'new-coordinator', 'missing', 'demo']) expect(fs.existsSync(at(made))).toBe(false);
  expect(fs.readFileSync(at('coordinator', 'coordinator.json'), 'utf8')).toBe(coordinatorBefore);
}, 60_000);
