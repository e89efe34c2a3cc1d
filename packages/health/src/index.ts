export { createReadiness, type Readiness, type ReadinessCheck, type ReadinessReport } from './readiness.js';
export { probeWritable } from './write-probe.js';
export { bindGrpcHealth, initialHealthStatuses } from './grpc-health.js';
export { startHealthServer, type HealthServerOptions, type RunningHealthServer } from './health-server.js';
