export * from './redact.js';
export * from './pattern-probe.js';
