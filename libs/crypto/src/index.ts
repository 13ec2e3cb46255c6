export * from './api-key-format.js';
export * from './keyed-hash.js';
