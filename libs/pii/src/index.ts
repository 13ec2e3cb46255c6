export * from './detector.js';
export * from './mask.js';
export * from './restore.js';
export * from './pattern.js';
export * from './sse-restore.js';
