import type { PiiMapping } from './mask.js';

/** What a placeholder is made of between `<` and `>`. */
const isPlaceholderCode = (c: number) =>
  (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95; /* A-Z 0-9 _ */

/** The longest `<…>` in the mapping, minus its brackets (0 when the mapping is empty). */
function longestInner(mapping: PiiMapping): number {
  let longest = 0;
  for (const placeholder of Object.keys(mapping)) {
    longest = Math.max(longest, placeholder.length - 2);
  }
  return longest;
}

/** Matches `<X>` with X of 1..inner placeholder characters: bounded work per `<`, so linear. */
function placeholderPattern(inner: number): RegExp {
  return new RegExp(`<[A-Z0-9_]{1,${inner}}>`, 'g');
}

/** The original as it must appear inside a JSON string. */
const jsonEscaped = (original: string) => JSON.stringify(original).slice(1, -1);

function restoreWith(text: string, mapping: PiiMapping, pattern: RegExp): string {
  if (!text.includes('<')) return text;
  return text.replace(pattern, (placeholder) =>
    Object.hasOwn(mapping, placeholder) ? jsonEscaped(mapping[placeholder]) : placeholder,
  );
}

/**
 * Replaces placeholders in JSON text (a response body or SSE data) with the originals,
 * JSON-string-escaped. Unknown placeholders stay as they are.
 */
export function restoreJsonText(text: string, mapping: PiiMapping): string {
  const inner = longestInner(mapping);
  if (inner === 0) return text;
  return restoreWith(text, mapping, placeholderPattern(inner));
}

/**
 * Restores a stream chunk by chunk; holds back only a tail that could be the start of a
 * placeholder: a final `<` followed by at most the longest placeholder's length of [A-Z0-9_].
 * Anything else is returned at once, restored. The chunks are raw JSON/SSE text: a placeholder
 * the provider split across two SSE events (two JSON strings) is not contiguous in it and is
 * not restored; feeding the concatenated text of the events instead would escape twice.
 */
export class StreamRestorer {
  private readonly inner: number;
  private readonly pattern: RegExp | undefined;
  private held = '';

  constructor(private readonly mapping: PiiMapping) {
    this.inner = longestInner(mapping);
    this.pattern = this.inner > 0 ? placeholderPattern(this.inner) : undefined;
  }

  feed(chunk: string): string {
    if (!this.pattern) return chunk;
    const text = this.held + chunk;
    const cut = this.heldFrom(text);
    this.held = text.slice(cut);
    return restoreWith(text.slice(0, cut), this.mapping, this.pattern);
  }

  end(): string {
    const rest = this.held;
    this.held = '';
    return this.pattern ? restoreWith(rest, this.mapping, this.pattern) : rest;
  }

  /** Where a possible placeholder start begins at the end of text, or text.length. */
  private heldFrom(text: string): number {
    const floor = Math.max(0, text.length - this.inner - 1);
    for (let i = text.length - 1; i >= floor; i--) {
      const c = text.charCodeAt(i);
      if (c === 60 /* < */) return i;
      if (!isPlaceholderCode(c)) return text.length;
    }
    return text.length;
  }
}
