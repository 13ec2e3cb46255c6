import { type FindOptions, type PiiDetector, type PiiEntityType, phoneChecks } from './detector.js';

/** The placeholder → original pairs of one request; same value → same placeholder. */
export type PiiMapping = Record<string, string>;

export type MaskResult<T> = {
  body: T;
  mapping: PiiMapping;
  /** Occurrences masked per type (the same value twice counts twice). */
  counts: Partial<Record<PiiEntityType, number>>;
};

/**
 * The masking state of one request: placeholders are numbered per label in order of first
 * appearance, and a value seen again (the exact string) gets the placeholder it got before.
 */
export class PiiMasker {
  readonly mapping: PiiMapping = {};
  readonly counts: Partial<Record<PiiEntityType, number>> = {};
  private readonly placeholders = new Map<string, string>();
  private readonly numbers = new Map<string, number>();
  private readonly options: FindOptions = { phoneChecks: phoneChecks() };

  constructor(private readonly detector: PiiDetector) {}

  text(input: string): string {
    const findings = this.detector.find(input, this.options);
    if (findings.length === 0) return input;
    let out = '';
    let at = 0;
    for (const { type, start, end, value, label } of findings) {
      let placeholder = this.placeholders.get(value);
      if (placeholder === undefined) {
        const n = (this.numbers.get(label) ?? 0) + 1;
        this.numbers.set(label, n);
        placeholder = `<${label}_${n}>`;
        this.placeholders.set(value, placeholder);
        this.mapping[placeholder] = value;
      }
      this.counts[type] = (this.counts[type] ?? 0) + 1;
      out += input.slice(at, start) + placeholder;
      at = end;
    }
    return out + input.slice(at);
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{ type: 'text', text }` parts/blocks get their text masked; any other item is kept. */
function maskTextParts(parts: unknown[], masker: PiiMasker): unknown[] {
  return parts.map((part) =>
    isObject(part) && part.type === 'text' && typeof part.text === 'string'
      ? { ...part, text: masker.text(part.text) }
      : part,
  );
}

/** A string, or an array of text parts. */
function maskContent(content: unknown, masker: PiiMasker): unknown {
  if (typeof content === 'string') return masker.text(content);
  if (Array.isArray(content)) return maskTextParts(content, masker);
  return content;
}

function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/**
 * Every string inside a JSON value masked (keys kept), in document order. Iterative, so a
 * deeply nested tool input cannot exhaust the stack.
 */
export function maskDeep(value: unknown, masker: PiiMasker): unknown {
  if (typeof value === 'string') return masker.text(value);
  if (typeof value !== 'object' || value === null) return value;
  const copy = (v: object): object => (Array.isArray(v) ? [] : {});
  const root = copy(value);
  const stack = [{ entries: Object.entries(value), i: 0, target: root }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.i === frame.entries.length) {
      stack.pop();
      continue;
    }
    const [key, v] = frame.entries[frame.i++] as [string, unknown];
    if (typeof v === 'string') setOwn(frame.target, key, masker.text(v));
    else if (typeof v === 'object' && v !== null) {
      const child = copy(v);
      setOwn(frame.target, key, child);
      stack.push({ entries: Object.entries(v), i: 0, target: child });
    } else setOwn(frame.target, key, v);
  }
  return root;
}

function maskOpenAiMessage(message: unknown, masker: PiiMasker): unknown {
  if (!isObject(message)) return message;
  const out: Json = { ...message };
  if ('content' in message) out.content = maskContent(message.content, masker);
  if (Array.isArray(message.tool_calls)) {
    out.tool_calls = message.tool_calls.map((call: unknown) =>
      isObject(call) && isObject(call.function) && typeof call.function.arguments === 'string'
        ? {
            ...call,
            function: { ...call.function, arguments: masker.text(call.function.arguments) },
          }
        : call,
    );
  }
  return out;
}

function maskAnthropicBlock(block: unknown, masker: PiiMasker): unknown {
  if (!isObject(block)) return block;
  switch (block.type) {
    case 'text':
      return typeof block.text === 'string' ? { ...block, text: masker.text(block.text) } : block;
    case 'tool_use':
      return 'input' in block ? { ...block, input: maskDeep(block.input, masker) } : block;
    case 'tool_result':
      return 'content' in block ? { ...block, content: maskContent(block.content, masker) } : block;
    default:
      return block;
  }
}

function maskAnthropicMessage(message: unknown, masker: PiiMasker): unknown {
  if (!isObject(message)) return message;
  const { content } = message;
  if (typeof content === 'string') return { ...message, content: masker.text(content) };
  if (Array.isArray(content)) {
    return { ...message, content: content.map((b: unknown) => maskAnthropicBlock(b, masker)) };
  }
  return message;
}

/**
 * Masks the text a provider will see in a request body; returns a new body (input not mutated).
 * OpenAI: `messages[].content` (a string or text parts), `messages[].tool_calls[].function
 * .arguments` (masked as text), and a legacy string `prompt`. Anthropic: `system` (a string or
 * text blocks) and `messages[].content` (a string, or text blocks, `tool_use` inputs — every
 * string inside — and `tool_result` contents). Names, roles, ids, models and images are kept.
 */
export function maskRequestBody<T extends Record<string, unknown>>(
  detector: PiiDetector,
  provider: 'openai' | 'anthropic',
  body: T,
): MaskResult<T> {
  const masker = new PiiMasker(detector);
  const out: Json = { ...body };
  if (provider === 'openai') {
    if (Array.isArray(body.messages)) {
      out.messages = body.messages.map((m: unknown) => maskOpenAiMessage(m, masker));
    }
    if (typeof body.prompt === 'string') out.prompt = masker.text(body.prompt);
  } else {
    if ('system' in body) out.system = maskContent(body.system, masker);
    if (Array.isArray(body.messages)) {
      out.messages = body.messages.map((m: unknown) => maskAnthropicMessage(m, masker));
    }
  }
  return { body: out as T, mapping: masker.mapping, counts: masker.counts };
}
