export * from './canonical-json.js';
export * from './chain.js';
export * from './chain-keys.js';
export * from './bounded-json.js';
export * from './event-mac.js';
