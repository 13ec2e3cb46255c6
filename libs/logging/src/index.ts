export * from './logger-options.js';
