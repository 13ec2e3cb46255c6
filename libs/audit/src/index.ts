export * from './canonical-json.js';
export * from './chain.js';
