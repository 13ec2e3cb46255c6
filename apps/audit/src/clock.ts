/**
 * What time it is for retention. Injected (under CLOCK) rather than read from `new Date()` so
 * a test can run retention at a chosen date by providing another clock, with no test-only
 * branch in the app.
 */
export type Clock = { now(): Date };

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => new Date() };
