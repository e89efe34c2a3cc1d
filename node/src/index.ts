export * from './config.js';
export * from './init-node.js';
export * from './count-pipeline.js';
export * from './open-node.js';
export * from './grpc-server.js';
export * from './withdrawal.js';
export * from './admission.js';
export * from './metrics.js';
