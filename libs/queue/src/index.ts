export * from './job-defaults.js';
export * from './names.js';
export * from './proxy-contract.js';
export * from './redis-options.js';
export * from './redis.module.js';
export * from './usage-keys.js';
