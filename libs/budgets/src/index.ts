export * from './budget-periods.js';
export * from './default-prices.js';
export * from './prices.js';
export * from './prompt-token-cache.js';
export * from './reservations.js';
export * from './token-estimate.js';
