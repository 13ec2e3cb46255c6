import type { ProxyEndpoint } from '@gatehouse/queue';
import { ENDPOINTS } from './endpoints.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The upstream body of a request, asking an OpenAI-compatible stream to report its usage: such a
 * stream counts no tokens unless `stream_options.include_usage` is set, so a key's token budget
 * would never see it. `added` says the client did not ask, so the usage-only chunk the provider
 * then sends is the gateway's to remove (UsageChunkFilter). Anthropic streams always report.
 */
export function withStreamUsage(
  endpoint: ProxyEndpoint,
  stream: boolean,
  body: Json,
): { body: Json; added: boolean } {
  if (!stream || ENDPOINTS[endpoint].provider !== 'openai') return { body, added: false };
  const options = body.stream_options;
  if (isObject(options) && options.include_usage === true) return { body, added: false };
  // Something that is not an object is the provider's to refuse, as it would without us.
  if (options !== undefined && options !== null && !isObject(options)) {
    return { body, added: false };
  }
  return {
    body: { ...body, stream_options: { ...(options ?? {}), include_usage: true } },
    added: true,
  };
}

const EVENT_END = /(?:\r\n|\n|\r)(?:\r\n|\n|\r)/g;

/**
 * Removes the usage-only chunk (`choices: []` with a `usage` object) from an OpenAI-compatible
 * SSE stream, for a client that did not ask for it; every other byte passes unchanged. Text is
 * passed on event by event: a partial event waits for the rest of it (on the next chunk), so
 * nothing is delayed longer than the event itself takes to arrive.
 */
export class UsageChunkFilter {
  private pending = '';

  feed(text: string): string {
    this.pending += text;
    let out = '';
    let start = 0;
    EVENT_END.lastIndex = 0;
    for (let m = EVENT_END.exec(this.pending); m !== null; m = EVENT_END.exec(this.pending)) {
      const end = m.index + m[0].length;
      const event = this.pending.slice(start, end);
      if (!isUsageOnly(event)) out += event;
      start = end;
    }
    this.pending = this.pending.slice(start);
    return out;
  }

  /** What is left when the stream ends (an unterminated event, passed as it came). */
  end(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }
}

/** An empty `choices` array, however spaced: only the usage-only chunk has one. */
const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;

function isUsageOnly(event: string): boolean {
  // Cheap first: with include_usage every chunk carries `"usage":null` and its choices; parsed
  // is only the one whose choices are empty, not every chunk of the stream.
  if (!event.includes('"usage"') || !EMPTY_CHOICES.test(event)) return false;
  const data = event
    .split(/\r\n|\n|\r/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
    .join('\n');
  try {
    const parsed = JSON.parse(data) as unknown;
    return (
      isObject(parsed) &&
      Array.isArray(parsed.choices) &&
      parsed.choices.length === 0 &&
      isObject(parsed.usage)
    );
  } catch {
    return false;
  }
}
