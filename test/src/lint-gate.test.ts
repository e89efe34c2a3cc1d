import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The severity (0 off, 1 warn, 2 error) of each rule in the lint config for `file`. */
async function severities(file: string): Promise<Record<string, number>> {
  const config = (await new ESLint({ cwd: root }).calculateConfigForFile(path.join(root, file))) as { rules: Record<string, unknown> };
  return Object.fromEntries(Object.entries(config.rules).map(([rule, setting]) => [rule, Number(Array.isArray(setting) ? setting[0] : setting)]));
}

test('the lint gate refuses floating and misused promises in every TypeScript source, void included', async () => {
  for (const file of ['node/src/count-stream.ts', 'packages/cli/src/shutdown.ts', 'test/src/tls.test.ts']) {
    const rules = await severities(file);
    expect({ file, floating: rules['@typescript-eslint/no-floating-promises'], misused: rules['@typescript-eslint/no-misused-promises'] }).toEqual({ file, floating: 2, misused: 2 });
  }
  const config = (await new ESLint({ cwd: root }).calculateConfigForFile(path.join(root, 'node/src/count-stream.ts'))) as { rules: Record<string, unknown[]> };
  expect(config.rules['@typescript-eslint/no-floating-promises']?.[1]).toMatchObject({ ignoreVoid: false });
});

test('the lint gate refuses focused and skipped tests', async () => {
  const rules = await severities('packages/query/src/schema.test.ts');
  expect({ focused: rules['jest/no-focused-tests'], disabled: rules['jest/no-disabled-tests'] }).toEqual({ focused: 2, disabled: 2 });
});
