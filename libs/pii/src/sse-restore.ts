import type { PiiMapping } from './mask.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const EVENT_END = /(?:\r\n|\n|\r)(?:\r\n|\n|\r)/g;

/** Model text (restored as is) or a JSON fragment (tool arguments: restored JSON-escaped). */
type Kind = 'text' | 'json';
type Held = { text: string; kind: Kind };

/**
 * Restores the originals in a provider's SSE stream, in what the model produced: OpenAI
 * `choices[].delta.content` and tool-call `arguments`, Anthropic `text_delta` and
 * `input_json_delta` blocks. A model streams a few characters per event, so a placeholder is
 * often split across events (`<EMA`, `IL_1>`): per choice, tool call or block, the end of a
 * fragment that could be the start of a placeholder is held and put in front of the next one;
 * nothing else waits. Events are passed on whole (a partial event waits for its end); an event
 * with nothing to restore and nothing held passes byte for byte.
 */
export class SseRestorer {
  private readonly inner: number;
  private readonly pattern: RegExp;
  private pending = '';
  /** Held fragments per choice (`c<i>`), tool call (`c<i>t<k>`) or block (`b<i>`). */
  private readonly held = new Map<string, Held>();

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

  /** What is left when the stream ends: held fragments (as they are), an unterminated event. */
  end(): string {
    let out = '';
    for (const slot of [...this.held.keys()]) out += this.release(slot);
    out += this.pending;
    this.pending = '';
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
    const rewrite = this.provider === 'openai' ? this.openAi(parsed) : this.anthropic(parsed);
    if (rewrite === undefined) return raw;
    if (!rewrite.changed) return rewrite.before + raw;
    const other = lines.filter((l) => l.length > 0 && !l.startsWith('data:'));
    return `${rewrite.before}${[...other, `data: ${JSON.stringify(parsed)}`].join('\n')}\n\n`;
  }

  /** Rewrites an OpenAI chunk in place (and says what must go out before it). */
  private openAi(chunk: Json): { before: string; changed: boolean } | undefined {
    if (!Array.isArray(chunk.choices)) return undefined;
    let changed = false;
    let before = '';
    for (const choice of chunk.choices as unknown[]) {
      if (!isObject(choice) || !isObject(choice.delta)) continue;
      const slot = `c${typeof choice.index === 'number' ? choice.index : 0}`;
      const delta = choice.delta;
      if (typeof delta.content === 'string') {
        changed = this.rewrite(delta, 'content', slot, 'text') || changed;
      }
      const calls = Array.isArray(delta.tool_calls) ? (delta.tool_calls as unknown[]) : [];
      const seen = new Set<string>();
      for (const call of calls) {
        if (!isObject(call) || !isObject(call.function)) continue;
        if (typeof call.function.arguments !== 'string') continue;
        const callSlot = `${slot}t${typeof call.index === 'number' ? call.index : 0}`;
        seen.add(callSlot);
        changed = this.rewrite(call.function, 'arguments', callSlot, 'json') || changed;
      }
      // Fragments held for this choice that this chunk does not continue go out before it.
      for (const held of [...this.held.keys()]) {
        if (held === slot && typeof delta.content !== 'string') before += this.release(held);
        if (held.startsWith(`${slot}t`) && !seen.has(held)) before += this.release(held);
      }
    }
    return changed || before ? { before, changed } : undefined;
  }

  /** Rewrites an Anthropic event in place (and says what must go out before it). */
  private anthropic(event: Json): { before: string; changed: boolean } | undefined {
    const slot = `b${typeof event.index === 'number' ? event.index : 0}`;
    if (event.type === 'content_block_delta' && isObject(event.delta)) {
      const delta = event.delta;
      const changed =
        typeof delta.text === 'string'
          ? this.rewrite(delta, 'text', slot, 'text')
          : typeof delta.partial_json === 'string'
            ? this.rewrite(delta, 'partial_json', slot, 'json')
            : false;
      return changed ? { before: '', changed } : undefined;
    }
    if (event.type === 'content_block_stop' && this.held.has(slot)) {
      return { before: this.release(slot), changed: false };
    }
    return undefined;
  }

  /** Restores `target[field]` with what was held before it; true when it changed. */
  private rewrite(target: Json, field: string, slot: string, kind: Kind): boolean {
    const value = target[field] as string;
    const held = this.held.get(slot)?.text ?? '';
    if (!held && !value.includes('<')) return false;
    target[field] = this.take(slot, held + value, kind);
    return true;
  }

  /** The restored text that can go out now; the tail that could start a placeholder is held. */
  private take(slot: string, text: string, kind: Kind): string {
    const at = text.lastIndexOf('<');
    let cut = text.length;
    if (
      at !== -1 &&
      text.length - at - 1 <= this.inner &&
      /^[A-Z0-9_]*$/.test(text.slice(at + 1))
    ) {
      cut = at;
    }
    if (cut < text.length) this.held.set(slot, { text: text.slice(cut), kind });
    else this.held.delete(slot);
    return this.restore(text.slice(0, cut), kind);
  }

  private restore(text: string, kind: Kind): string {
    if (!text.includes('<')) return text;
    return text.replace(this.pattern, (placeholder) => {
      if (!Object.hasOwn(this.mapping, placeholder)) return placeholder;
      const original = this.mapping[placeholder] ?? placeholder;
      // Inside a JSON fragment the original must be a JSON string's content.
      return kind === 'json' ? JSON.stringify(original).slice(1, -1) : original;
    });
  }

  /** An event carrying what was held for `slot` (restored where complete), and forgets it. */
  private release(slot: string): string {
    const held = this.held.get(slot);
    this.held.delete(slot);
    if (!held?.text) return '';
    const text = this.restore(held.text, held.kind);
    const block = /^b(\d+)$/.exec(slot);
    if (block) {
      const delta =
        held.kind === 'json'
          ? { type: 'input_json_delta', partial_json: text }
          : { type: 'text_delta', text };
      const data = { type: 'content_block_delta', index: Number(block[1]), delta };
      return `event: content_block_delta\ndata: ${JSON.stringify(data)}\n\n`;
    }
    const [, choice = '0', call] = /^c(\d+)(?:t(\d+))?$/.exec(slot) ?? [];
    const delta =
      call === undefined
        ? { content: text }
        : { tool_calls: [{ index: Number(call), function: { arguments: text } }] };
    return `data: ${JSON.stringify({ choices: [{ index: Number(choice), delta }] })}\n\n`;
  }
}
