import fs from 'node:fs';
import type { Command } from 'commander';
import { BiospecError } from '@biospec/protocol/core';
import type { QueryFlags } from '../query-options.js';

// As in node.ts, the action imports the packages it uses when it runs.

interface QueryCommandOptions extends QueryFlags {
  url: string;
  token?: string;
  purpose: string;
  project: string;
  deadlineMs?: string;
  json: boolean;
  save?: string;
}

/** `biospec query`: ask the network a feasibility question through a coordinator's REST API. */
export function registerQueryCommand(program: Command): void {
  program
    .command('query')
    .description('ask a federated feasibility question; prints one row per site and the merged total')
    .option('--url <url>', 'coordinator REST address (or BIOSPEC_URL)', process.env.BIOSPEC_URL ?? 'http://127.0.0.1:8080')
    .option('--token <jwt>', 'researcher bearer token (or BIOSPEC_TOKEN)')
    .option('--unit <unit>', 'donors, specimens or aliquots', 'specimens')
    .option('--material <types>', 'material types, comma separated (e.g. tissue-ffpe,serum)')
    .option('--diagnosis <codes>', 'ICD-10 codes, ranges or chapters, descendants included (e.g. C50,C18 or C00-D48 or II)')
    .option('--sex <sexes>', 'female, male, other, unknown')
    .option('--age <from-to>', 'age at collection, inclusive (e.g. 40-60, 18-)')
    .option('--collected <from..to>', 'collection date range (e.g. 2015-01-01..2020-12-31)')
    .option('--consent <duo>', 'consent must permit this use (GRU, HMB, DS, POA, NRES or a DUO code)')
    .option('--status <statuses>', 'available, reserved, depleted')
    .option('--min-quantity <n>', 'at least this many aliquots or amount left')
    .option('--collection <ids>', 'collection ids')
    .option('--stratify <dims>', 'material_type, sex, age_band, diagnosis_chapter, storage_temperature')
    .option('--query-json <json>', 'the query AST as JSON instead of the flags above')
    .option('--query-file <file>', 'read the query AST from a file')
    .option('--purpose <duo>', 'research purpose (DUO use category)', 'HMB')
    .option('--project <name>', 'project the question belongs to', 'feasibility')
    .option('--deadline-ms <ms>', 'overall deadline')
    .option('--json', 'print the full response as JSON', false)
    .option('--save <file>', 'save the signed per-site answers as a bundle for `biospec verify`')
    .action(async (o: QueryCommandOptions) => {
      const token = o.token ?? process.env.BIOSPEC_TOKEN;
      if (!token) throw new BiospecError('UNAUTHENTICATED', 'no researcher token: pass --token or set BIOSPEC_TOKEN');
      const { duoCode, queryFromFlags } = await import('../query-options.js');
      const { createRestClient, toResultBundle } = await import('../rest-client.js');
      const { formatFederatedResult } = await import('../format-result.js');
      const client = createRestClient(o.url, token);
      const { raw, response } = await client.count({
        query: queryFromFlags(o),
        purpose: duoCode(o.purpose),
        project: o.project,
        ...(o.deadlineMs ? { deadlineMs: Number(o.deadlineMs) } : {}),
      });
      if (o.save) fs.writeFileSync(o.save, JSON.stringify(toResultBundle(response, await client.nodeJwks()), null, 2) + '\n');
      console.log(o.json ? JSON.stringify(raw, null, 2) : formatFederatedResult(response));
      if (o.save && !o.json) console.log(`\nsigned answers saved to ${o.save}; check them any time with: biospec verify ${o.save}`);
    });
}
