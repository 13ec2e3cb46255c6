export * from './api-key-format.js';
export * from './credential-box.js';
export * from './keyed-hash.js';
export * from './account-credential.js';
export * from './constant-time.js';
