export * from './fan-out.js';
export * from './merge.js';
export * from './site-status.js';
export * from './node-count-client.js';
export * from './node-refusal.js';
export * from './site-health.js';
