import { signQuery } from '@biospec/trust';
import type { Query } from '@biospec/query';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';
import { specimen } from './harness/records.js';

let node: SingleNode;

// One donor per consent pattern and diagnosis, so each expected count names exactly who should match.
const RECORDS = [
  specimen({ sample_id: 'S-NRES', donor_id: 'D-NRES', consent: ['DUO:0000004'], diagnosis: ['C50.4'] }),
  specimen({ sample_id: 'S-GRU', donor_id: 'D-GRU', consent: ['DUO:0000042'], diagnosis: ['C50.9', 'E11'] }),
  specimen({ sample_id: 'S-HMB', donor_id: 'D-HMB', consent: ['DUO:0000006'], diagnosis: ['C50'] }),
  specimen({ sample_id: 'S-DS', donor_id: 'D-DS', consent: ['DUO:0000007'], diagnosis: ['C18.7'] }),
  specimen({ sample_id: 'S-POA', donor_id: 'D-POA', consent: ['DUO:0000011'], diagnosis: ['I21.0'] }),
  specimen({ sample_id: 'S-GRU-NPOA', donor_id: 'D-GRU-NPOA', consent: ['DUO:0000042', 'DUO:0000044'], diagnosis: ['C34.1'] }),
  specimen({ sample_id: 'S-HMB-NPU', donor_id: 'D-HMB-NPU', consent: ['DUO:0000006', 'DUO:0000045'], diagnosis: ['C51'] }),
  specimen({ sample_id: 'S-GONE', donor_id: 'D-GONE', consent: ['DUO:0000004'], diagnosis: ['C50.1'], status: 'withdrawn' }),
];

beforeAll(async () => {
  node = await startSingleNode({ records: RECORDS });
}, 60_000);

afterAll(async () => {
  await node?.stop();
});

async function donorsMatching(where: Query['where']): Promise<number | undefined> {
  const token = await signQuery(
    { query: { unit: 'donors', ...(where ? { where } : {}) }, purpose: 'DUO:0000006', researcher: 'r-vocab', project: 'p', audience: NODE_ID, issuer: 'coordinator' },
    node.coordinatorKey,
  );
  return (await node.count(token)).result?.total?.value;
}

test.each([
  ['NRES (no restriction)', 'DUO:0000004', 1],
  ['GRU (general research use): NRES and GRU donors, with or without NPOA', 'DUO:0000042', 3],
  ['HMB: everything consented for GRU or HMB, but not DS- or POA-only', 'DUO:0000006', 5],
  ['DS: also the HMB and GRU donors', 'DUO:0000007', 6],
  ['POA: NRES, GRU and POA donors, but not GRU with NPOA', 'DUO:0000011', 3],
])('a %s question counts what the DUO hierarchy permits', async (_name, use, expected) => {
  expect(await donorsMatching({ op: 'consent_permits', use })).toBe(expected);
});

test.each([
  ['C50 matches C50, C50.4 and C50.9', ['C50'], 3],
  ['C50.9 matches only C50.9', ['C50.9'], 1],
  ['C5 is not a code', null, 0],
  ['C18 matches C18.7, C34 matches C34.1', ['C18', 'C34'], 2],
  ['C50 does not match C51 (a different category)', ['C50', 'I21'], 4],
  ['lowercase and undotted codes are normalised', ['c504'], 1],
  ['a range holds every category between its ends (C18 to C50)', ['C18-C50'], 5],
  ['chapter II (neoplasms, C00-D48) holds every C code here', ['II'], 6],
  ['a range ending before C50 leaves the C50 donors out', ['c00-c49', 'I21'], 3],
])('ICD-10 descendants: %s', async (_name, codes, expected) => {
  if (codes === null) {
    await expect(donorsMatching({ op: 'diagnosis', codes: ['C5'] })).rejects.toThrow(/C5/);
    return;
  }
  expect(await donorsMatching({ op: 'diagnosis', codes })).toBe(expected);
});

test('the withdrawn donor is in no count at all', async () => {
  expect(await donorsMatching(undefined)).toBe(RECORDS.length - 1);
  expect(await donorsMatching({ op: 'consent_permits', use: 'DUO:0000004' })).toBe(1);
});
