// The core functions with the full ("max") metadata, imported by package path: Jest's mapping
// of relative `.js` imports would otherwise turn libphonenumber-js/max's own import of
// metadata.max.json.js into one of the JSON file.
import { parsePhoneNumberFromString } from 'libphonenumber-js/core';
import metadata from 'libphonenumber-js/metadata.max';

/**
 * Phone numbers, in two steps. A linear scan proposes candidates: chains of digit groups joined
 * by one phone separator (space, dash, dot, parentheses), read as windows of up to six groups.
 * A cheap filter keeps windows that could be a number:
 * - international: a leading `+`, then 8–15 digits (E.164);
 * - national: a North American number (10 digits, or 11 starting with 1, area code and exchange
 *   not starting with 0 or 1), written with at least one separator or parentheses. National
 *   numbers of other countries are not recognised without their `+` country code, and a bare
 *   run of digits without `+` is never a phone number (order numbers, ids, timestamps).
 * Only then libphonenumber-js (its /max metadata, so the digits are validated, not only the
 * length) decides: `parsePhoneNumberFromString(candidate, 'US', metadata)?.isValid()`. 'US' is the
 * default country for national formats; a `+` number carries its own.
 *
 * libphonenumber-js costs ~25 µs a candidate (its own text search is slower still, and
 * superlinear on long runs of digits), so validations are budgeted: `PhoneChecks.remaining`
 * starts at 64 and grows by one per 256 characters searched. Past the budget, candidates that
 * pass the cheap filter are taken as phone numbers without validation (masking too much rather
 * than letting a number through); only text crafted to be full of number-shaped digits gets
 * there. Repeated candidates are answered from a small cache without spending budget.
 */
export type PhoneChecks = { remaining: number };

export const PHONE_CHECKS_INITIAL = 64;
export const PHONE_CHECK_PER_CHARS = 256;

export function phoneChecks(): PhoneChecks {
  return { remaining: PHONE_CHECKS_INITIAL };
}

const MAX_GROUPS = 6;
const MAX_DIGITS = 15;
const CACHE_SIZE = 1024;
const cache = new Map<string, boolean>();

function isValidPhone(candidate: string, checks: PhoneChecks): boolean {
  const known = cache.get(candidate);
  if (known !== undefined) return known;
  if (checks.remaining <= 0) return true; // budget spent: fail closed
  checks.remaining--;
  const valid = parsePhoneNumberFromString(candidate, 'US', metadata)?.isValid() ?? false;
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(candidate, valid);
  return valid;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isWord = (c: number) =>
  isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
/** What may join two digit groups of one number. */
const GAP = /^(?:[ .-]|\)[ .-]?| ?\()$/;

function isGap(text: string, from: number, to: number): boolean {
  if (to - from === 1) {
    const c = text.charCodeAt(from);
    return c === 32 || c === 45 || c === 46 || c === 40 || c === 41; // space - . ( )
  }
  return to - from <= 3 && GAP.test(text.slice(from, to));
}

/** Maximal runs of ASCII digits (copied per call: exec moves lastIndex). */
const DIGIT_RUN = /[0-9]+/g;

type Group = { start: number; end: number; openParen: boolean };

/** One chain: groups joined by GAPs; `plus` when the first group follows a `+`. */
type Chain = { groups: Group[]; plus: boolean; prefixStart: number };

function nanp(digits: string): boolean {
  const d = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
  if (d.length !== 10) return false;
  return d.charCodeAt(0) >= 50 && d.charCodeAt(3) >= 50; // [2-9]XX [2-9]XX XXXX
}

function digitsOf(text: string, groups: Group[], from: number, to: number): string {
  let digits = '';
  for (let k = from; k <= to; k++) digits += text.slice(groups[k].start, groups[k].end);
  return digits;
}

function scanChain(text: string, chain: Chain, checks: PhoneChecks, out: Span[]): void {
  const { groups } = chain;
  // Too short to hold 8 digits (most chains in prose: a year, a version, a count).
  if (groups[groups.length - 1].end - groups[0].start < 8) return;
  let i = 0;
  while (i < groups.length) {
    const first = groups[i];
    const plus = i === 0 && chain.plus;
    const start = i === 0 ? chain.prefixStart : first.openParen ? first.start - 1 : first.start;
    let found = -1;
    // Windows of plausible digit counts, longest first; digits are joined only for those.
    const windows: number[] = [];
    let count = 0;
    for (let j = i; j < groups.length && j - i < MAX_GROUPS; j++) {
      const g = groups[j];
      count += g.end - g.start;
      if (count > MAX_DIGITS) break;
      if (plus ? count >= 8 : count === 10 || count === 11) windows.push(j);
    }
    for (let w = windows.length - 1; w >= 0 && found === -1; w--) {
      const j = windows[w];
      const end = groups[j].end;
      if (j === groups.length - 1 && end < text.length && isWord(text.charCodeAt(end))) continue;
      const formatted = j > i || text.charCodeAt(start) === 40; /* ( */
      if (!plus && !(formatted && nanp(digitsOf(text, groups, i, j)))) continue;
      if (isValidPhone(text.slice(start, end), checks)) found = j;
    }
    if (found === -1) {
      i++;
      continue;
    }
    out.push({ start, end: groups[found].end });
    i = found + 1;
  }
}

type Span = { start: number; end: number };

/** Phone numbers in a text, ordered and non-overlapping (see PhoneChecks for the method). */
export function findPhoneCandidates(text: string, checks: PhoneChecks = phoneChecks()): Span[] {
  checks.remaining += Math.ceil(text.length / PHONE_CHECK_PER_CHARS);
  const out: Span[] = [];
  let chain: Chain | undefined;
  const digits = new RegExp(DIGIT_RUN);
  for (let m = digits.exec(text); m !== null; m = digits.exec(text)) {
    const start = m.index;
    const i = start + m[0].length;
    const last = chain?.groups[chain.groups.length - 1];
    if (chain && last && isGap(text, last.end, start)) {
      chain.groups.push({ start, end: i, openParen: text.charCodeAt(start - 1) === 40 });
      continue;
    }
    if (chain) scanChain(text, chain, checks, out);
    // A chain starts after a non-word character, with an optional `+` and/or `(` before it.
    let prefixStart = start;
    let openParen = false;
    if (text.charCodeAt(prefixStart - 1) === 40) {
      prefixStart--;
      openParen = true;
    }
    const plus = text.charCodeAt(prefixStart - 1) === 43;
    if (plus) prefixStart--;
    chain =
      prefixStart > 0 && isWord(text.charCodeAt(prefixStart - 1))
        ? undefined
        : { groups: [{ start, end: i, openParen }], plus, prefixStart };
  }
  if (chain) scanChain(text, chain, checks, out);
  return out;
}
