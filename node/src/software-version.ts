import { createRequire } from 'node:module';

/** The node's software version: the `@biospec/node` package's, announced in the directory and in Describe. */
export const SOFTWARE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
