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

type Group = { start: number; end: number; openParen: boolean };

/** One chain: groups joined by GAPs; `plus` when the first group follows a `+`. */
type Chain = { groups: Group[]; plus: boolean; prefixStart: number };

function nanp(digits: string): boolean {
  const d = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
  if (d.length !== 10) return false;
  return d.charCodeAt(0) >= 50 && d.charCodeAt(3) >= 50; // [2-9]XX [2-9]XX XXXX
}

function scanChain(text: string, chain: Chain, checks: PhoneChecks, out: Span[]): void {
  const { groups } = chain;
  let i = 0;
  while (i < groups.length) {
    const first = groups[i];
    const plus = i === 0 && chain.plus;
    const start = i === 0 ? chain.prefixStart : first.openParen ? first.start - 1 : first.start;
    let found = -1;
    const windows: { j: number; digits: string }[] = [];
    let digits = '';
    for (let j = i; j < groups.length && j - i < MAX_GROUPS; j++) {
      const g = groups[j];
      digits += text.slice(g.start, g.end);
      if (digits.length > MAX_DIGITS) break;
      windows.push({ j, digits });
    }
    for (let w = windows.length - 1; w >= 0 && found === -1; w--) {
      const { j, digits: d } = windows[w];
      const end = groups[j].end;
      if (j === groups.length - 1 && end < text.length && isWord(text.charCodeAt(end))) continue;
      const formatted = j > i || text.charCodeAt(start) === 40; /* ( */
      const plausible = plus ? d.length >= 8 : formatted && nanp(d);
      if (plausible && isValidPhone(text.slice(start, end), checks)) found = j;
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
  const n = text.length;
  let chain: Chain | undefined;
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    const last = chain?.groups[chain.groups.length - 1];
    const gap = last && start - last.end <= 3 ? text.slice(last.end, start) : undefined;
    if (chain && gap !== undefined && GAP.test(gap)) {
      chain.groups.push({ start, end: i, openParen: gap.endsWith('(') });
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
