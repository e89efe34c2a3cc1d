import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { availabilityCollectionDomain, collectionsDigest, readCollectionFile, UNDESCRIBED_COLLECTION } from './collections.js';
import { createNodeAccessState } from './node-access-state.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-collections-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

test('a CSV description file reads into the published list, sorted by id', () => {
  const file = write(
    'collections.csv',
    'id,name,description,contact_name,contact_email,access_conditions\n' +
      'tumour-bank,Tumour bank,"Fresh-frozen tumour, with matched normal",Dr. Tumour,tumour@north.example,"Project approval by the ""tumour board"""\n' +
      'breast,Breast cancer cohort,,,breast@north.example,\n',
  );
  const list = readCollectionFile(file);
  expect(list).toEqual([
    { id: 'breast', name: 'Breast cancer cohort', description: '', contact: { email: 'breast@north.example' }, accessConditions: '' },
    {
      id: 'tumour-bank',
      name: 'Tumour bank',
      description: 'Fresh-frozen tumour, with matched normal',
      contact: { name: 'Dr. Tumour', email: 'tumour@north.example' },
      accessConditions: 'Project approval by the "tumour board"',
    },
  ]);
  expect(availabilityCollectionDomain(list)).toEqual(['breast', 'tumour-bank', UNDESCRIBED_COLLECTION]);
});

test('a JSON file gives the same list and digest as the CSV', () => {
  const fromCsv = readCollectionFile(path.join(dir, 'collections.csv'));
  const json = write('collections.json', JSON.stringify({ collections: [...fromCsv].reverse() }));
  expect(collectionsDigest(readCollectionFile(json))).toBe(collectionsDigest(fromCsv));
});

test('every problem is named with its line and field, and nothing is imported', () => {
  const file = write(
    'bad.csv',
    'id,name,contact_email\n' + 'breast,Breast,not-an-address\n' + ',Nameless,x@y.example\n' + 'breast,Again,b@y.example\n' + `${UNDESCRIBED_COLLECTION},Reserved,r@y.example\n` + 'solo,Solo,\n',
  );
  let error: unknown;
  try {
    readCollectionFile(file);
  } catch (e) {
    error = e;
  }
  expect(error).toMatchObject({
    code: 'INVALID_DATA',
    message: `${file}: collection description is invalid: 5 problem(s)`,
    issues: [
      { line: 2, field: 'contact.email', message: 'Invalid email address' },
      { line: 3, field: 'id', message: 'collection id is empty' },
      { line: 4, field: 'id', message: "duplicate collection id 'breast' (first at entry 1)" },
      { line: 5, field: 'id', message: `'${UNDESCRIBED_COLLECTION}' is reserved for specimens of undescribed collections` },
      { line: 6, field: 'contact', message: 'a contact needs a name or an e-mail address' },
    ],
  });
  expect(() => readCollectionFile(write('header.csv', 'id,title\nx,y\n'))).toThrow('the header is not a collection description');
  expect(() => readCollectionFile(path.join(dir, 'missing.json'))).toThrow(/cannot read .*missing\.json/);
});

test('the node keeps its published list and the newest revocation list across restarts; an older list never replaces a newer one', () => {
  const file = path.join(dir, 'access.db');
  let state = createNodeAccessState(file);
  expect(state.published()).toEqual({ collections: [], digest: collectionsDigest([]), importedAt: null });
  const list = readCollectionFile(path.join(dir, 'collections.csv'));
  state.publish(list, { actor: 'steward', source: 'collections.csv' });
  expect(state.revocations()).toEqual({ version: 0, revoked: [], token: '' });
  expect(state.acceptRevocations(2, ['g-1'], 'list-2')).toEqual({ version: 2, revoked: ['g-1'] });
  expect(state.acceptRevocations(1, [], 'list-1')).toEqual({ version: 2, revoked: ['g-1'] });
  state.close();
  state = createNodeAccessState(file);
  expect(state.published()).toMatchObject({ collections: list, digest: collectionsDigest(list) });
  expect(state.revocations()).toEqual({ version: 2, revoked: ['g-1'], token: 'list-2' });
  state.close();
});
