import { JsonSplitter, SplitError, type Piece } from './json-splitter.js';

/** The pieces of `text` fed in chunks of `size` bytes, as plain data. */
function split(text: string, size: number): unknown[] {
  const bytes = Buffer.from(text);
  const splitter = new JsonSplitter();
  const pieces: Piece[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(...splitter.push(Buffer.from(bytes.subarray(i, i + size))));
  pieces.push(...splitter.end());
  return pieces.map((piece) =>
    piece.kind === 'entry' ? { entry: piece.index, json: JSON.parse(piece.bytes.text()), type: piece.bytes.peekType(), fullUrl: piece.bytes.fullUrl() } : piece.kind === 'header' ? { header: JSON.parse(piece.json) } : { top: JSON.parse(piece.json), hadEntries: piece.hadEntries },
  );
}

const tricky = {
  resourceType: 'Patient',
  id: 'p"1',
  name: [{ text: 'a \\ "quoted" } ] { [ name\\' }],
};

test.each([1, 2, 3, 7, 64, 1 << 20])('the same pieces whatever the chunk size (%i bytes), escapes and brackets inside strings included', (size) => {
  const bundle = JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'urn:uuid:a', resource: tricky }, { resource: { resourceType: 'Specimen', id: 's' } }], total: 2 });
  expect(split(bundle, size)).toEqual([
    { header: { resourceType: 'Bundle', type: 'collection' } },
    { entry: 0, json: { fullUrl: 'urn:uuid:a', resource: tricky }, type: 'Patient', fullUrl: 'urn:uuid:a' },
    { entry: 1, json: { resource: { resourceType: 'Specimen', id: 's' } }, type: 'Specimen', fullUrl: undefined },
    { top: { resourceType: 'Bundle', type: 'collection', total: 2 }, hadEntries: true },
  ]);
});

test('entries streamed before the Bundle names its type, and NDJSON lines as top-level values', () => {
  const late = '{"entry":[{"resource":{"resourceType":"Specimen","id":"s"}}],"type":"collection","resourceType":"Bundle"}';
  const ndjson = `${late}\n{"resourceType":"Patient","id":"p"}\n`;
  expect(split(ndjson, 5)).toEqual([
    { header: {} },
    { entry: 0, json: { resource: { resourceType: 'Specimen', id: 's' } }, type: 'Specimen', fullUrl: undefined },
    { top: { type: 'collection', resourceType: 'Bundle' }, hadEntries: true },
    { top: { resourceType: 'Patient', id: 'p' }, hadEntries: false },
  ]);
});

test('a contained resource before resourceType leaves the type to the parser', () => {
  const entry = '{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"contained":[{"resourceType":"Organization","id":"o"}],"resourceType":"Specimen","id":"s"}}]}';
  expect(split(entry, 1 << 20)[1]).toMatchObject({ entry: 0, type: null });
});

test('structural errors are located by byte offset', () => {
  expect(() => split('[1,2]', 64)).toThrow(SplitError);
  expect(() => split('{"resourceType":"Bundle","entry":[1]}', 64)).toThrow(/Bundle.entry\[0\] is not an object/);
  expect(() => split('{"resourceType":"Bundle","entry":[{"resource":{}}', 64)).toThrow(/unexpected end of file/);
});

test('the type is the same whether read in place (the compact layout) or searched for', () => {
  const types = (entries: string[]): unknown[] => split(`{"resourceType":"Bundle","type":"batch","entry":[${entries.join(',')}]}`, 1 << 20).slice(1, -1).map((piece) => (piece as { type: unknown }).type);
  expect(types(['{"resource":{"resourceType":"Specimen","id":"s"}}', '{"resource": {"resourceType": "Specimen", "id": "s"}}'])).toEqual(['Specimen', 'Specimen']);
  expect(types(['{"resource":{"resourceType":"Specimen1"}}', '{"resource": {"resourceType": "Specimen1"}}'])).toEqual([null, null]);
  expect(types(['{"resource":{"resourceType":""}}', '{"resource":{"resourceType":7}}'])).toEqual([null, null]);
});
