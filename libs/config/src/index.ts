export * from './config-error.js';
export * from './config.module.js';
export * from './config.schema.js';
export * from './dev-secrets.js';
export * from './load-config.js';
export * from './secret-rules.js';
export * from './announce-dev-admin-key.js';
export * from './connection-credentials.js';
export { REMOVED_VARIABLE_NAMES } from './removed-variables.js';
