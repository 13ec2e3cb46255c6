export * from './names.js';
export * from './redis-options.js';
