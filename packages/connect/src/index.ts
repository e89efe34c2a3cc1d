export * from './backoff.js';
export * from './connect-proof.js';
export * from './coordinator-link.js';
export * from './connect-links.js';
export * from './connect-out.js';
