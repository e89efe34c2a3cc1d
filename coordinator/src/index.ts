export * from './config.js';
export * from './init-coordinator.js';
export * from './members.js';
export * from './federated-count.js';
export * from './open-coordinator.js';
export * from './grpc-server.js';
export * from './http-server.js';
