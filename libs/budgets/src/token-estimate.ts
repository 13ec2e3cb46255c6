import { createRequire } from 'node:module';
import type { SliceCounter } from './prompt-token-cache.js';

type Tokenizer = { countTokens(text: string): number };
let tokenizer: Tokenizer | undefined;

/**
 * The o200k tokenizer, loaded on first use: its tables cost about 100 MB of memory and a quarter
 * of a second to load, which the proxy-worker (it counts only streams cut short) should not pay
 * unless it needs them. The gateway loads it at start (preloadTokenizer), off the request path.
 */
function o200k(): Tokenizer {
  tokenizer ??= createRequire(import.meta.url)(
    'gpt-tokenizer/cjs/encoding/o200k_base',
  ) as Tokenizer;
  return tokenizer;
}

/** Loads the tokenizer now, so that no request waits for it. */
export function preloadTokenizer(): void {
  o200k();
}

/** The o200k count of a text, uncached (what a PromptTokenCache counts its misses with). */
export function o200kTokens(text: string): number {
  return o200k().countTokens(text);
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Tokens a request's prompt is reserved for, before the provider says. OpenAI-compatible
 * models: the o200k tokenizer (GPT-4o and later) over the text the model reads, plus a few
 * tokens of framing per message. Anthropic models have no public tokenizer: their text is
 * counted as one token per 3 characters, which is above what Claude's tokenizer yields for
 * English and code, so the reservation errs high. Either way the settled amount is the
 * provider's own count; this only has to keep concurrent requests from overshooting.
 * `countSlice` counts the o200k slices (a key's PromptTokenCache counter, or the tokenizer).
 */
export function estimatePromptTokens(
  provider: 'openai' | 'anthropic',
  body: Json,
  countSlice: SliceCounter = o200kTokens,
): number {
  const texts: string[] = [];
  let images = 0;
  let messages = 0;
  const visit = (value: unknown, depth: number): void => {
    if (depth > 32) return;
    if (typeof value === 'string') {
      // Inline images and files are priced by the provider per image, not per character.
      if (value.startsWith('data:')) images++;
      else texts.push(value);
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
    } else if (isObject(value)) {
      if (value.type === 'image_url' || value.type === 'image') images++;
      for (const [field, item] of Object.entries(value)) {
        // Image parts' URLs and sources are counted as images above, not read as text.
        if (field === 'image_url' || field === 'source') continue;
        visit(item, depth + 1);
      }
    }
  };
  // What stays the same from one call to the next first (system prompt, tools), then the
  // conversation, which grows at its end: the slices counted before are the same slices again.
  for (const field of ['system', 'tools', 'functions', 'tool_choice', 'messages', 'prompt']) {
    const value = body[field];
    if (field === 'messages' && Array.isArray(value)) messages = value.length;
    visit(value, 0);
  }
  const text = texts.join('\n');
  return (
    textTokens(provider, text, countSlice) +
    messages * TOKENS_PER_MESSAGE +
    images * TOKENS_PER_IMAGE
  );
}

/** Tokens of text a model produced (a stream cut short, before the provider reported usage). */
export function countOutputTokens(provider: 'openai' | 'anthropic', text: string): number {
  return textTokens(provider, text, o200kTokens);
}

function textTokens(
  provider: 'openai' | 'anthropic',
  text: string,
  countSlice: SliceCounter,
): number {
  if (text.length === 0) return 0;
  return provider === 'openai'
    ? boundedOpenAiCount(text, countSlice)
    : Math.ceil(text.length / CHARS_PER_TOKEN_ANTHROPIC);
}

/**
 * The o200k count of a text, at a cost bounded whatever the text is. BPE is quadratic in the
 * length of a run the pre-tokenizer does not split (64k characters of CJK without a space take
 * tens of seconds), so the text is counted in slices; and only its first EXACT_CHARS characters
 * are counted at all, the rest extrapolated at their rate: on the request path this is at most a
 * few milliseconds, and the provider's own count settles the difference.
 */
function boundedOpenAiCount(text: string, countSlice: SliceCounter): number {
  const sample = text.length <= EXACT_CHARS ? text : text.slice(0, EXACT_CHARS);
  let tokens = 0;
  for (let i = 0; i < sample.length; i += SLICE_CHARS) {
    tokens += countSlice(sample.slice(i, i + SLICE_CHARS));
  }
  return sample.length === text.length ? tokens : Math.ceil((tokens * text.length) / sample.length);
}

const EXACT_CHARS = 4_096;
const SLICE_CHARS = 256;

/**
 * The most output tokens a request may produce: its own cap (`max_tokens` or
 * `max_completion_tokens`; the larger when both are set), times `n` choices. Undefined when it
 * sets none.
 */
export function requestedOutputCap(body: Json): number | undefined {
  const caps = [body.max_completion_tokens, body.max_tokens].filter(isPositiveInteger);
  if (caps.length === 0) return undefined;
  const choices = isPositiveInteger(body.n) ? body.n : 1;
  return Math.max(...caps) * choices;
}

/**
 * The body sent upstream with `max_tokens` set to `cap` when the gateway bounds the output of a
 * request that set no cap of its own (a budget can only hold if the output is bounded).
 */
export function withOutputCap<T extends Json>(body: T, cap: number | undefined): T {
  if (cap === undefined || requestedOutputCap(body) !== undefined) return body;
  return { ...body, max_tokens: cap };
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

const CHARS_PER_TOKEN_ANTHROPIC = 3;
/** Role and separators around each chat message (OpenAI's own accounting uses 3–4). */
const TOKENS_PER_MESSAGE = 4;
/** A high-detail 1024×1024 image on GPT-4o is 765 tokens; Claude's ~1,600 for the largest. */
const TOKENS_PER_IMAGE = 1_600;
