export * from './program.js';
export * from './query-options.js';
export * from './format-result.js';
export * from './rest-client.js';
export * from './report-error.js';
export * from './demo/demo-federation.js';
export * from './demo/demo-questions.js';
export * from './demo/demo-access.js';
