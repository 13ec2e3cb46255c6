import type { ProxyEndpoint, TokenUsage } from '@gatehouse/queue';
import { ENDPOINTS } from './endpoints.js';
import { SseParser } from './sse-parser.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A token count, when the value is one (a non-negative safe integer). */
function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** OpenAI usage: prompt_tokens / completion_tokens. */
function openAiUsage(usage: unknown): TokenUsage | undefined {
  if (!isObject(usage)) return undefined;
  const input = count(usage.prompt_tokens);
  const output = count(usage.completion_tokens);
  if (input === undefined && output === undefined) return undefined;
  return { input: input ?? 0, output: output ?? 0 };
}

/** Anthropic input: input_tokens plus the cache-creation and cache-read tokens, when present. */
function anthropicInput(usage: Json): number | undefined {
  const parts = [
    usage.input_tokens,
    usage.cache_creation_input_tokens,
    usage.cache_read_input_tokens,
  ].map(count);
  if (parts.every((part) => part === undefined)) return undefined;
  return parts.reduce<number>((sum, part) => sum + (part ?? 0), 0);
}

function anthropicUsage(usage: unknown): TokenUsage | undefined {
  if (!isObject(usage)) return undefined;
  const input = anthropicInput(usage);
  const output = count(usage.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  return { input: input ?? 0, output: output ?? 0 };
}

/** Token usage from a complete (non-streamed) upstream JSON response body. */
export function usageFromJson(endpoint: ProxyEndpoint, body: unknown): TokenUsage | undefined {
  if (!isObject(body)) return undefined;
  return ENDPOINTS[endpoint].provider === 'anthropic'
    ? anthropicUsage(body.usage)
    : openAiUsage(body.usage);
}

/**
 * Follows token usage in a streamed (SSE) upstream response, fed the raw text as it arrives.
 * OpenAI: the last chunk with a `usage` object (sent when stream_options.include_usage).
 * Anthropic: input from `message_start`, output from the last `message_delta` (cumulative).
 * It also keeps the text the model produced so far, counted when a stream is cut short before
 * the provider reported usage. Malformed events are ignored; feed never throws.
 */
export class StreamUsageTracker {
  private readonly parser = new SseParser();
  private readonly anthropic: boolean;
  private input: number | undefined;
  private output: number | undefined;
  private text = '';

  constructor(endpoint: ProxyEndpoint) {
    this.anthropic = ENDPOINTS[endpoint].provider === 'anthropic';
  }

  feed(text: string): void {
    for (const event of this.parser.feed(text)) {
      if (event.data === '[DONE]') continue;
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        continue;
      }
      if (!isObject(data)) continue;
      if (this.anthropic) this.anthropicEvent(event.event, data);
      else {
        this.record(openAiUsage(data.usage));
        this.openAiText(data);
      }
    }
  }

  usage(): TokenUsage | undefined {
    if (this.input === undefined && this.output === undefined) return undefined;
    return { input: this.input ?? 0, output: this.output ?? 0 };
  }

  /** What the model produced so far (text, tool-call arguments, reasoning). */
  producedText(): string {
    return this.text;
  }

  private openAiText(data: Json): void {
    if (!Array.isArray(data.choices)) return;
    for (const choice of data.choices as unknown[]) {
      if (!isObject(choice) || !isObject(choice.delta)) continue;
      const delta = choice.delta;
      this.keep(delta.content);
      this.keep(delta.reasoning_content);
      if (Array.isArray(delta.tool_calls)) {
        for (const call of delta.tool_calls as unknown[]) {
          if (isObject(call) && isObject(call.function)) this.keep(call.function.arguments);
        }
      }
    }
  }

  private keep(value: unknown): void {
    if (typeof value === 'string') this.text += value;
  }

  private anthropicEvent(name: string | undefined, data: Json): void {
    const type = typeof data.type === 'string' ? data.type : name;
    if (type === 'content_block_delta' && isObject(data.delta)) {
      this.keep(data.delta.text);
      this.keep(data.delta.partial_json);
      this.keep(data.delta.thinking);
      return;
    }
    if (type === 'message_start' && isObject(data.message)) {
      this.record(anthropicUsage(data.message.usage));
    } else if (type === 'message_delta' && isObject(data.usage)) {
      // Counts in message_delta are cumulative; newer API versions repeat the input there too.
      const input = anthropicInput(data.usage);
      const output = count(data.usage.output_tokens);
      if (input !== undefined) this.input = input;
      if (output !== undefined) this.output = output;
    }
  }

  private record(usage: TokenUsage | undefined): void {
    if (usage === undefined) return;
    this.input = usage.input;
    this.output = usage.output;
  }
}
