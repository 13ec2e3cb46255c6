import type { PiiMapping } from './mask.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const EVENT_END = /(?:\r\n|\n|\r)(?:\r\n|\n|\r)/g;

/**
 * Restores the originals in a provider's SSE stream, in the text the model produced: OpenAI
 * `choices[].delta.content`, Anthropic `text_delta` blocks. A model streams a few characters per
 * event, so a placeholder is often split across events (`<EMA`, `IL_1>`): per choice or block,
 * the end of a delta that could be the start of a placeholder is held and put in front of the
 * next one; nothing else waits. Events are passed on whole (a partial event waits for its end);
 * an event with nothing to restore and nothing held passes byte for byte.
 */
export class SseRestorer {
  private readonly inner: number;
  private readonly pattern: RegExp;
  private pending = '';
  /** Held text per choice (`c<index>`) or block (`b<index>`). */
  private readonly held = new Map<string, string>();

  constructor(
    private readonly mapping: PiiMapping,
    private readonly provider: 'openai' | 'anthropic',
  ) {
    this.inner = Math.max(1, ...Object.keys(mapping).map((p) => p.length - 2));
    this.pattern = new RegExp(`<[A-Z0-9_]{1,${this.inner}}>`, 'g');
  }

  feed(chunk: string): string {
    this.pending += chunk;
    let out = '';
    let start = 0;
    EVENT_END.lastIndex = 0;
    for (let m = EVENT_END.exec(this.pending); m !== null; m = EVENT_END.exec(this.pending)) {
      const end = m.index + m[0].length;
      out += this.event(this.pending.slice(start, end));
      start = end;
    }
    this.pending = this.pending.slice(start);
    return out;
  }

  /** What is left when the stream ends: an unterminated event, and held text (as is). */
  end(): string {
    let out = this.pending;
    this.pending = '';
    for (const [slot, text] of this.held) {
      if (text) out = this.syntheticDelta(slot, this.restore(text)) + out;
    }
    this.held.clear();
    return out;
  }

  private event(raw: string): string {
    const lines = raw.split(/\r\n|\n|\r/);
    const dataLines = lines.filter((l) => l.startsWith('data:'));
    if (dataLines.length === 0) return raw;
    const data = dataLines.map((l) => l.slice(l.startsWith('data: ') ? 6 : 5)).join('\n');
    if (!data.includes('<') && this.held.size === 0) return raw;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return raw;
    }
    if (!isObject(parsed)) return raw;
    const before = this.provider === 'openai' ? this.openAi(parsed) : this.anthropic(parsed);
    if (before === undefined) return raw;
    const other = lines.filter((l) => l.length > 0 && !l.startsWith('data:'));
    return `${before}${[...other, `data: ${JSON.stringify(parsed)}`].join('\n')}\n\n`;
  }

  /** Rewrites an OpenAI chunk in place; undefined when it had nothing to change. */
  private openAi(chunk: Json): string | undefined {
    if (!Array.isArray(chunk.choices)) return undefined;
    let changed = false;
    for (const choice of chunk.choices as unknown[]) {
      if (!isObject(choice) || !isObject(choice.delta)) continue;
      const slot = `c${typeof choice.index === 'number' ? choice.index : 0}`;
      const delta = choice.delta;
      const held = this.held.get(slot) ?? '';
      if (typeof delta.content === 'string') {
        if (!held && !delta.content.includes('<')) continue;
        delta.content = this.take(slot, held + delta.content);
        changed = true;
      } else if (held) {
        // A delta without text (the finishing one): what was held goes out with it.
        delta.content = this.restore(held);
        this.held.delete(slot);
        changed = true;
      }
    }
    return changed ? '' : undefined;
  }

  /** Rewrites an Anthropic event in place; returns an event to send first, or undefined. */
  private anthropic(event: Json): string | undefined {
    const slot = `b${typeof event.index === 'number' ? event.index : 0}`;
    const held = this.held.get(slot) ?? '';
    if (event.type === 'content_block_delta' && isObject(event.delta)) {
      const delta = event.delta;
      if (typeof delta.text !== 'string') return undefined;
      if (!held && !delta.text.includes('<')) return undefined;
      delta.text = this.take(slot, held + delta.text);
      return '';
    }
    if (event.type === 'content_block_stop' && held) {
      this.held.delete(slot);
      return this.syntheticDelta(slot, this.restore(held));
    }
    return undefined;
  }

  /** The restored text that can go out now; the tail that could start a placeholder is held. */
  private take(slot: string, text: string): string {
    const at = text.lastIndexOf('<');
    let cut = text.length;
    if (
      at !== -1 &&
      text.length - at - 1 <= this.inner &&
      /^[A-Z0-9_]*$/.test(text.slice(at + 1))
    ) {
      cut = at;
    }
    if (cut < text.length) this.held.set(slot, text.slice(cut));
    else this.held.delete(slot);
    return this.restore(text.slice(0, cut));
  }

  private restore(text: string): string {
    if (!text.includes('<')) return text;
    return text.replace(this.pattern, (placeholder) =>
      Object.hasOwn(this.mapping, placeholder)
        ? (this.mapping[placeholder] ?? placeholder)
        : placeholder,
    );
  }

  private syntheticDelta(slot: string, text: string): string {
    const index = Number(slot.slice(1));
    if (this.provider === 'anthropic') {
      const data = { type: 'content_block_delta', index, delta: { type: 'text_delta', text } };
      return `event: content_block_delta\ndata: ${JSON.stringify(data)}\n\n`;
    }
    return `data: ${JSON.stringify({ choices: [{ index, delta: { content: text } }] })}\n\n`;
  }
}
