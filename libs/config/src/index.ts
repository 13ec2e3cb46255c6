export * from './config-error.js';
export * from './config.module.js';
export * from './config.schema.js';
export * from './load-config.js';
export * from './secret-rules.js';
