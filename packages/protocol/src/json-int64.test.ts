import { NodeResult } from './generated/biospecimen/v1/node.js';

// docs/PROTOCOL.md says int64 fields are JSON numbers in signed results and REST responses.
test('int64 fields are written as JSON numbers and read back from them', () => {
  const json = NodeResult.toJSON(NodeResult.fromPartial({ nodeId: 'n', dataEpoch: 42, total: { value: 1234 } })) as { dataEpoch: unknown; total: { value: unknown } };
  expect(json.dataEpoch).toBe(42);
  expect(json.total.value).toBe(1234);
  expect(NodeResult.fromJSON(JSON.parse(JSON.stringify(json))).dataEpoch).toBe(42);
});
