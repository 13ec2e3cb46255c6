export * from './endpoints.js';
export * from './rate-limit.js';
export * from './request-schemas.js';
export * from './sse-parser.js';
export * from './usage.js';
export * from './stream-usage.js';
