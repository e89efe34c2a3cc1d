// Writes docs/CONFIG.md from the zod schemas of node.json, coordinator.json and the disclosure
// policy (types, defaults and the descriptions attached to each key), with the environment
// variables that override keys. `--check` fails when the committed file differs (npm test runs
// it), and either mode fails when a key has no description: the reference cannot drift.
// Reads the built packages: run `tsc -b` first.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { NodeConfigSchema, NODE_ENV_OVERRIDES, parseNodeConfig } from '../node/dist/index.js';
import { formatIssue } from '../packages/protocol/dist/index.js';
import { CoordinatorConfigSchema, COORDINATOR_ENV_OVERRIDES } from '../coordinator/dist/index.js';
import { DisclosurePolicySchema } from '../packages/privacy/dist/index.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const target = path.join(root, 'docs', 'CONFIG.md');
const missing = [];

const jsonSchema = (schema) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

/** `a` | `b` for enums, the JSON type with its bounds otherwise. */
function typeOf(node) {
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' or ');
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.anyOf || node.oneOf) {
    const kinds = (node.anyOf ?? node.oneOf).filter((v) => v.type !== 'null').map(typeOf);
    const nullable = (node.anyOf ?? node.oneOf).some((v) => v.type === 'null');
    return [...new Set(kinds)].join(' or ') + (nullable ? ' or `null`' : '');
  }
  if (node.type === 'array') return `array of ${node.items ? typeOf(node.items) : 'any'}`;
  const bounds = [];
  if (node.minimum !== undefined) bounds.push(`≥ ${node.minimum}`);
  if (node.exclusiveMinimum !== undefined) bounds.push(`> ${node.exclusiveMinimum}`);
  if (node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER) bounds.push(`≤ ${node.maximum}`);
  if (node.pattern) bounds.push(`pattern \`${node.pattern}\``);
  if (node.minLength) bounds.push(`length ≥ ${node.minLength}`);
  if (node.format) bounds.push(node.format);
  const type = node.type ?? 'any';
  return bounds.length > 0 ? `${type} (${bounds.join(', ')})` : type;
}

const cell = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
/** The schema's default, or else what parsing a file without the key gives it (defaults computed from other keys included). */
function defaultOf(node, keyPath, parsedDefaults) {
  let value = node.default;
  if (value === undefined && !keyPath.includes('[]')) {
    value = keyPath.split('.').reduce((at, key) => (at === undefined || at === null ? undefined : at[key]), parsedDefaults);
  }
  return value === undefined ? '' : `\`${JSON.stringify(value)}\``;
}

/** One table row per key, nested objects (and the objects of arrays and variants) flattened to dotted paths. */
function rows(node, prefix, required, out, defaults, note = '') {
  const properties = node.properties ?? {};
  for (const [key, child] of Object.entries(properties)) {
    const keyPath = prefix ? `${prefix}.${key}` : key;
    // A variant's tag (`mechanism: "laplace"`) says what it is.
    if (!child.description && child.const === undefined) missing.push(keyPath);
    const must = (node.required ?? []).includes(key) && child.default === undefined;
    const fallback = defaultOf(child, keyPath, defaults) || '(unset)';
    out.push(`| \`${keyPath}\`${note} | ${cell(typeOf(child))} | ${must ? '**required**' : fallback} | ${cell(child.description ?? '')} |`);
    const object = child.type === 'object' ? child : undefined;
    if (object?.properties) rows(object, keyPath, object.required ?? [], out, defaults);
    const items = child.type === 'array' && child.items?.type === 'object' ? child.items : undefined;
    if (items?.properties) rows(items, `${keyPath}[]`, items.required ?? [], out, defaults);
    variants(child.anyOf ?? child.oneOf ?? [], keyPath, out, defaults);
    variants(child.items?.anyOf ?? [], `${keyPath}[]`, out, defaults);
  }
}

/** The keys of each object form of a union; forms are told apart by their tag, or numbered when there is more than one. */
function variants(forms, keyPath, out, defaults) {
  const objects = forms.filter((v) => v.type === 'object' && v.properties);
  objects.forEach((variant, i) => {
    const tag = Object.entries(variant.properties).find(([, v]) => v.const !== undefined);
    const note = tag ? ` (${tag[0]} \`${tag[1].const}\`)` : objects.length > 1 ? ` (form ${i + 1})` : '';
    rows(variant, keyPath, variant.required ?? [], out, defaults, note);
  });
}

function table(schema, title, minimal, skip = []) {
  const node = jsonSchema(schema);
  for (const key of skip) delete node.properties[key];
  const parsed = schema.parse(minimal);
  const out = ['| key | type | default | meaning |', '| --- | --- | --- | --- |'];
  rows(node, title, node.required ?? [], out, title ? { [title]: parsed } : parsed);
  return out.join('\n');
}

function envTable(overrides) {
  return ['| variable | sets |', '| --- | --- |', ...overrides.map((o) => `| \`${o.env}\` | \`${o.path.join('.')}\` |`)].join('\n');
}

/** What a node.json with three problems is answered with, as the CLI prints it. */
function exampleError() {
  try {
    parseNodeConfig({ nodeId: 'my-biobank', name: 'My Biobank', listen: '0.0.0.0', policy: { rounding: 0, budgett: {} } }, '/srv/biospec');
  } catch (err) {
    return [`error (${err.code}): ${err.message}`, ...err.issues.map((i) => `  ${formatIssue(i)}`)].join('\n');
  }
  throw new Error('the example config was accepted');
}

const text = `# Configuration reference

<!-- Generated by \`node scripts/config-docs.mjs\` from the zod schemas in node/src/config.ts,
coordinator/src/config.ts and packages/privacy/src/policy.ts; \`npm test\` fails when this file
is stale. Edit the schemas' descriptions, not this file. -->

Both services read one JSON file: \`node.json\` (written by \`biospec node init\`) and
\`coordinator.json\` (written by \`biospec coordinator init\`). Unknown keys are refused at every
level. Relative paths are resolved against the folder of the file. A file with problems is
refused as a whole, with every problem at once, each naming the full path of its field:

\`\`\`
${exampleError()}
\`\`\`

## Environment variables

The keys a container platform or a systemd unit sets can come from the environment instead;
a variable that is set and not empty wins over the file. Relative paths in them are resolved
against the config file's folder too. A bad value is reported with its key and the variable
(\`field logLevel: ... (from BIOSPEC_NODE_LOG_LEVEL)\`).

### Node

${envTable(NODE_ENV_OVERRIDES)}

### Coordinator

${envTable(COORDINATOR_ENV_OVERRIDES)}

## node.json

${table(NodeConfigSchema, '', { nodeId: 'n', name: 'n' }, ['policy'])}
| \`policy\` | object | the default policy | The node's own disclosure-control policy: every key below, all optional. |

### policy (in node.json)

${table(DisclosurePolicySchema, 'policy', {})}

## coordinator.json

${table(CoordinatorConfigSchema, '', {})}
`;

if (missing.length > 0) {
  console.error(`config keys without a description (add .describe(...) to the schema):\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
if (process.argv.includes('--check')) {
  const committed = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (committed !== text) {
    console.error('docs/CONFIG.md is stale: run `node scripts/config-docs.mjs` and commit the result');
    process.exit(1);
  }
  console.log('docs/CONFIG.md is current');
} else {
  fs.writeFileSync(target, text);
  console.log(`wrote ${path.relative(root, target)}`);
}
