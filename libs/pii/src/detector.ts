import { isIPv6 } from 'node:net';
import { findCredentials } from '@gatehouse/redact';
import { electronicFormatIBAN, getCountrySpecifications, isValidIBAN } from 'ibantools';
import { findPhoneCandidates, type PhoneChecks } from './phone.js';

export { phoneChecks, type PhoneChecks } from './phone.js';

export type PiiEntityType =
  'email' | 'phone' | 'card' | 'iban' | 'ip' | 'ssn' | 'credential' | 'custom' | 'term';

export type PiiRules = { customPatterns: { name: string; pattern: string }[]; terms: string[] };

/** One entity in a text: `text.slice(start, end) === value`; `label` names its placeholders. */
export type PiiFinding = {
  type: PiiEntityType;
  start: number;
  end: number;
  value: string;
  label: string;
};

/** Placeholder labels of the built-in types (custom patterns are labelled by their names). */
export const PII_LABELS = {
  email: 'EMAIL',
  phone: 'PHONE',
  card: 'CARD',
  iban: 'IBAN',
  ip: 'IP',
  ssn: 'SSN',
  credential: 'CREDENTIAL',
  term: 'TERM',
} as const satisfies Partial<Record<PiiEntityType, string>>;

/** The label of a custom pattern: its name upper-cased, anything but [A-Z0-9] as `_`. */
export function customLabel(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_') || 'CUSTOM';
}

/** Terms shorter than this are ignored: one character would mask half the prompt. */
export const MIN_TERM_LENGTH = 2;

type Span = { type: PiiEntityType; start: number; end: number; label: string };

const isWordCode = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isDigitCode = (c: number) => c >= 48 && c <= 57;
const isWordAt = (text: string, i: number) =>
  i >= 0 && i < text.length && isWordCode(text.charCodeAt(i));

// ---------------------------------------------------------------------------------------------
// Email: found around each `@` by hand. Scans stop at the neighbouring `@` and are capped, so
// every character is looked at a bounded number of times (a regular expression with a
// repeated local part rescans a long run of letters from every position).

const LOCAL_MAX = 64;
const DOMAIN_MAX = 253;
const isLocalCode = (c: number) =>
  isWordCode(c) || c === 46 /* . */ || c === 37 /* % */ || c === 43 /* + */ || c === 45; /* - */
const isDomainCode = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TLD = /^[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]$/;

function findEmails(text: string, out: Span[]): void {
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && at - start < LOCAL_MAX && isLocalCode(text.charCodeAt(start - 1))) start--;
    while (start < at && text.charCodeAt(start) === 46) start++; // no leading dot
    if (start === at) continue;
    let end = at + 1;
    while (end < text.length && end - at - 1 < DOMAIN_MAX && isDomainCode(text.charCodeAt(end))) {
      end++;
    }
    const labels = text.slice(at + 1, end).split('.');
    let kept = 0;
    while (kept < labels.length && LABEL.test(labels[kept])) kept++;
    while (kept >= 2 && !TLD.test(labels[kept - 1])) kept--;
    if (kept < 2) continue;
    const domainLength = labels.slice(0, kept).join('.').length;
    out.push({ type: 'email', start, end: at + 1 + domainLength, label: PII_LABELS.email });
  }
}

// ---------------------------------------------------------------------------------------------
// Digit groups: maximal runs of digits, chained when one space or dash separates them. Cards
// are looked for in chains; a run of more than 19 digits is never (part of) a card.

/** Maximal runs of ASCII digits (copied per call: exec moves lastIndex). */
const DIGIT_RUN = /[0-9]+/g;

type Group = { start: number; end: number };

function digitChains(text: string, onChain: (groups: Group[]) => void): void {
  let groups: Group[] = [];
  const digits = new RegExp(DIGIT_RUN);
  for (let m = digits.exec(text); m !== null; m = digits.exec(text)) {
    const start = m.index;
    const i = start + m[0].length;
    const last = groups[groups.length - 1];
    const sep = text.charCodeAt(start - 1);
    if (last && last.end === start - 1 && (sep === 32 || sep === 45))
      groups.push({ start, end: i });
    else {
      if (groups.length > 0) onChain(groups);
      groups = [{ start, end: i }];
    }
  }
  if (groups.length > 0) onChain(groups);
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** A group glued to a letter, or part of a decimal number (`3.14`, `1,5`), cannot start/end a card. */
function cardEdgeBefore(text: string, at: number): boolean {
  const c = text.charCodeAt(at - 1);
  if (at > 0 && isWordCode(c)) return false;
  return !((c === 46 || c === 44) && isDigitCode(text.charCodeAt(at - 2)));
}
function cardEdgeAfter(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  if (at < text.length && isWordCode(c)) return false;
  return !((c === 46 || c === 44) && isDigitCode(text.charCodeAt(at + 1)));
}

/** Cards are printed in at most five groups (4-4-4-4-3); a longer chain is read in windows. */
const MAX_CARD_GROUPS = 5;

function findCards(text: string, out: Span[]): void {
  digitChains(text, (groups) => {
    // Too short to hold 13 digits (most chains in prose: a year, a version, a count).
    if (groups[groups.length - 1].end - groups[0].start < 13) return;
    let i = 0;
    while (i < groups.length) {
      const first = groups[i];
      let found = -1;
      if (first.end - first.start <= 19 && cardEdgeBefore(text, first.start)) {
        let digits = '';
        for (let j = i; j < groups.length && j - i < MAX_CARD_GROUPS; j++) {
          const g = groups[j];
          digits += text.slice(g.start, g.end);
          if (digits.length > 19) break;
          if (digits.length >= 13 && cardEdgeAfter(text, g.end) && luhn(digits)) found = j;
        }
      }
      if (found === -1) {
        i++;
        continue;
      }
      const last = groups[found];
      out.push({ type: 'card', start: first.start, end: last.end, label: PII_LABELS.card });
      i = found + 1;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// SSN, IPv4, IBAN: fixed-length or capped patterns, so each start costs a bounded amount.

const SSN = /(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])/g;

function findSsns(text: string, out: Span[]): void {
  for (const m of text.matchAll(SSN)) {
    const [, area = '', group = '', serial = ''] = m;
    if (area === '000' || area === '666' || area.startsWith('9')) continue;
    if (group === '00' || serial === '0000') continue;
    out.push({ type: 'ssn', start: m.index, end: m.index + 11, label: PII_LABELS.ssn });
  }
}

/** Not inside a longer dotted number (version strings like 1.2.3.4.5), on either side. */
const IPV4 = /(?<![\w.])(?<!\d\.)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)/g;
const OCTET = /^(?:0|[1-9]\d{0,2})$/;

function findIpv4(text: string, out: Span[]): void {
  for (const m of text.matchAll(IPV4)) {
    const octets = m.slice(1, 5);
    if (!octets.every((o) => OCTET.test(o) && Number(o) <= 255)) continue;
    out.push({ type: 'ip', start: m.index, end: m.index + m[0].length, label: PII_LABELS.ip });
  }
}

/** Longest IPv6 text form (with an embedded IPv4 address). */
const IPV6_MAX = 45;
const isIpv6Code = (c: number) =>
  (c >= 48 && c <= 58) /* 0-9 : */ || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46;

function findIpv6(text: string, out: Span[]): void {
  let scannedTo = 0;
  for (let colon = text.indexOf(':'); colon !== -1; colon = text.indexOf(':', colon + 1)) {
    if (colon < scannedTo) continue;
    let start = colon;
    while (
      start > scannedTo &&
      colon - start < IPV6_MAX &&
      isIpv6Code(text.charCodeAt(start - 1))
    ) {
      start--;
    }
    let end = colon + 1;
    while (end < text.length && end - start <= IPV6_MAX && isIpv6Code(text.charCodeAt(end))) end++;
    scannedTo = end;
    // Whole tokens only (not `std::vector`), with a sentence's final dot left out.
    if (isWordAt(text, start - 1) || isWordAt(text, end)) continue;
    while (start < end && text.charCodeAt(start) === 46) start++;
    while (end > start && text.charCodeAt(end - 1) === 46) end--;
    let candidate = text.slice(start, end);
    if (candidate.endsWith(':') && !candidate.endsWith('::')) candidate = candidate.slice(0, -1);
    if (candidate.length < 3 || candidate.indexOf(':') === candidate.lastIndexOf(':')) continue;
    // Something more than `a::b` or `::1`: a group of 3+ hex digits, or four groups.
    const groups = candidate.split(':').filter((g) => g.length > 0);
    if (groups.length < 4 && !groups.some((g) => g.length >= 3)) continue;
    if (!isIPv6(candidate)) continue;
    out.push({ type: 'ip', start, end: start + candidate.length, label: PII_LABELS.ip });
  }
}

/**
 * IBAN candidates: country code and check digits, then up to 30 letters or digits, optionally
 * one space between them. The country's length (ibantools' specifications) says where the IBAN
 * ends; spaces, if any, must group it in fours.
 */
const IBAN_HEAD = /(?<![A-Za-z0-9])([A-Za-z]{2})\d{2}(?: ?[A-Za-z0-9]){11,30}/g;
const IBAN_LENGTHS = new Map(
  Object.entries(getCountrySpecifications())
    .filter(([, spec]) => spec.chars !== null)
    .map(([code, spec]) => [code, spec.chars as number]),
);

function findIbans(text: string, out: Span[]): void {
  const head = new RegExp(IBAN_HEAD);
  for (let m = head.exec(text); m !== null; m = head.exec(text)) {
    const at = m.index;
    const end = ibanEnd(text, m[0], at, IBAN_LENGTHS.get(m[1].toUpperCase()));
    if (end === -1) {
      head.lastIndex = at + 1; // a valid IBAN may start inside a rejected candidate
      continue;
    }
    out.push({ type: 'iban', start: at, end: at + end, label: PII_LABELS.iban });
    head.lastIndex = at + end;
  }
}

/** Where a candidate's IBAN ends (its length in the candidate), or -1 when it holds none. */
function ibanEnd(text: string, candidate: string, at: number, length: number | undefined): number {
  if (length === undefined) return -1;
  let chars = 0;
  let end = 0;
  let spaces = 0;
  while (end < candidate.length && chars < length) {
    if (candidate.charCodeAt(end) === 32) {
      if (chars % 4 !== 0) return -1;
      spaces++;
    } else chars++;
    end++;
  }
  // All of it, grouped in fours throughout or not spaced at all, and no more of it after.
  if (chars < length || (spaces !== 0 && spaces !== Math.floor((length - 1) / 4))) return -1;
  if (isWordAt(text, at + end)) return -1;
  const iban = electronicFormatIBAN(candidate.slice(0, end));
  return iban && isValidIBAN(iban) ? end : -1;
}

// ---------------------------------------------------------------------------------------------
// Terms: one case-insensitive alternation of escaped literals, longest first, whole words.

/** Escaped for a 'u' pattern (which refuses needless escapes such as `\\-`). */
const escapeRegExp = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

function termPattern(terms: readonly string[]): RegExp | undefined {
  const seen = new Set<string>();
  const unique: string[] = [];
  for (const raw of terms) {
    const term = raw.trim();
    if (term.length < MIN_TERM_LENGTH || seen.has(term.toLowerCase())) continue;
    seen.add(term.toLowerCase());
    unique.push(term);
  }
  if (unique.length === 0) return undefined;
  unique.sort((a, b) => b.length - a.length);
  const alternation = unique.map(escapeRegExp).join('|');
  return new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternation})(?![\\p{L}\\p{N}_])`, 'giu');
}

function findMatches(
  pattern: RegExp,
  text: string,
  type: PiiEntityType,
  label: string,
  out: Span[],
): void {
  for (const m of text.matchAll(pattern)) {
    if (m[0].length === 0) continue;
    out.push({ type, start: m.index, end: m.index + m[0].length, label });
  }
}

/** Earlier start first, then the longer; spans overlapping an earlier pick are dropped. */
function pickNonOverlapping(spans: Span[]): Span[] {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const picked: Span[] = [];
  let end = 0;
  for (const span of spans) {
    if (span.start < end) continue;
    picked.push(span);
    end = span.end;
  }
  return picked;
}

/** Options of one find() call. */
export type FindOptions = {
  /**
   * Phone validations left (libphonenumber-js costs ~25 µs a candidate). Shared by the calls of
   * one request so that its total is bounded; see PhoneChecks.
   */
  phoneChecks?: PhoneChecks;
};

/** Detects entities in text. Construction compiles custom patterns (flags 'g', plus 'u'); it does not self-test them. */
export class PiiDetector {
  private readonly custom: { pattern: RegExp; label: string }[];
  private readonly terms: RegExp | undefined;

  constructor(rules: Partial<PiiRules> = {}) {
    this.custom = (rules.customPatterns ?? []).map(({ name, pattern }) => ({
      pattern: new RegExp(pattern, 'gu'),
      label: customLabel(name),
    }));
    this.terms = termPattern(rules.terms ?? []);
  }

  /**
   * Non-overlapping findings, ordered by start; on overlap the earlier start, then the longer,
   * wins. Phone numbers are looked for last and only where nothing else was found, so card
   * numbers, IP addresses, IBANs and the like are never taken for one.
   */
  find(text: string, options: FindOptions = {}): PiiFinding[] {
    const spans: Span[] = [];
    if (text.includes('@')) findEmails(text, spans);
    findCards(text, spans);
    findIbans(text, spans);
    findIpv4(text, spans);
    if (text.includes(':')) findIpv6(text, spans);
    if (text.includes('-')) findSsns(text, spans);
    for (const { start, end } of findCredentials(text)) {
      spans.push({ type: 'credential', start, end, label: PII_LABELS.credential });
    }
    for (const { pattern, label } of this.custom)
      findMatches(pattern, text, 'custom', label, spans);
    if (this.terms) findMatches(this.terms, text, 'term', PII_LABELS.term, spans);
    const picked = pickNonOverlapping(spans);

    const phones = findPhoneCandidates(text, options.phoneChecks);
    const all: Span[] = [];
    let p = 0;
    for (const phone of phones) {
      while (p < picked.length && picked[p].end <= phone.start) all.push(picked[p++]);
      const next = picked[p];
      if (next && next.start < phone.end) continue; // overlaps something else
      const previous = all[all.length - 1];
      if (previous && previous.end > phone.start) continue;
      all.push({ type: 'phone', start: phone.start, end: phone.end, label: PII_LABELS.phone });
    }
    while (p < picked.length) all.push(picked[p++]);

    return all.map((s) => ({ ...s, value: text.slice(s.start, s.end) }));
  }
}
