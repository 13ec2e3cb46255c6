import type { Redactor } from '@gatehouse/redact';

/**
 * Fields that hold what clients and providers said (prompts, completions, captured bodies):
 * the board shows their size, never their content. An operator debugging a queue needs to
 * know a job carries 40 KB of prompt, not what the prompt says, and the board must not show
 * more than the audit log keeps (nothing, unless AUDIT_CAPTURE_BODIES is on).
 */
const CONTENT_FIELDS: ReadonlySet<string> = new Set([
  'body',
  'bodies',
  'result',
  'response',
  'messages',
  'prompt',
  'input',
  'system',
]);

/** The size a content field is shown as. */
function sizeOf(value: unknown): string {
  const json = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return `[${Buffer.byteLength(json ?? '')} bytes, not shown]`;
}

function withoutContent(input: unknown, depth: number): unknown {
  if (input === null || typeof input !== 'object') return input;
  if (depth > 8) return '[Truncated]';
  if (Array.isArray(input)) return input.map((v) => withoutContent(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    out[key] =
      CONTENT_FIELDS.has(key) && value != null ? sizeOf(value) : withoutContent(value, depth + 1);
  }
  return out;
}

/**
 * What the queue board shows of a job's data or return value: content replaced by its size,
 * then everything credential-looking redacted.
 */
export function boardJobView(redactor: Redactor) {
  return (data: unknown): unknown => redactor.value(withoutContent(data, 0));
}
