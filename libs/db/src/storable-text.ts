/**
 * Text Postgres can store: no NUL character (refused by text and jsonb) and no UTF-16 surrogate
 * without its pair (valid in a JS string, refused by jsonb, silently altered in text).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function isStorableText(text: string): boolean {
  LONE_SURROGATE.lastIndex = 0;
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}

/** The text made storable: NULs dropped, lone surrogates replaced by U+FFFD. Deterministic. */
export function toStorableText(text: string): string {
  const withoutNul = text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
  return withoutNul.replace(LONE_SURROGATE, '\uFFFD');
}
