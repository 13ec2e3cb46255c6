export * from './bearer-token.js';
export * from './metrics-registry.js';
export * from './metrics-server.js';
export * from './metrics.module.js';
export * from './queue-depth.js';
