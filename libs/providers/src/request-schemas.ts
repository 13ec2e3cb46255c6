import type { ProxyEndpoint } from '@gatehouse/queue';
import { z } from 'zod';

/**
 * Validation of the request fields the gateway relies on. Objects are loose: fields the
 * gateway does not know pass through untouched, because providers keep adding them.
 * Every message is a predicate; the failing field's path is put in front of it.
 */

export const MAX_MODEL_LENGTH = 200;
export const MAX_MESSAGES = 2000;
export const MAX_OUTPUT_TOKENS = 1_000_000;
export const MAX_CHOICES = 16;

type Check = { input: unknown };
const requiredOr = (message: string) => (issue: Check) =>
  issue.input === undefined ? 'is required' : message;

const model = z
  .string({ error: requiredOr('must be a string') })
  .min(1, 'must not be empty')
  .max(MAX_MODEL_LENGTH, `must be at most ${MAX_MODEL_LENGTH} characters`);

const messagesArray = <T extends z.ZodType>(item: T) =>
  z
    .array(item, { error: requiredOr('must be a non-empty array') })
    .min(1, 'must be a non-empty array')
    .max(MAX_MESSAGES, `must have at most ${MAX_MESSAGES} items`);

const tokenLimit = z
  .number({ error: requiredOr('must be a positive integer') })
  .int('must be a positive integer')
  .positive('must be a positive integer')
  .max(MAX_OUTPUT_TOKENS, `must be at most ${MAX_OUTPUT_TOKENS}`);

const streamFlag = z.boolean({ error: 'must be a boolean' });

const chatCompletionsBody = z.looseObject(
  {
    model,
    messages: messagesArray(
      z.looseObject(
        { role: z.string({ error: requiredOr('must be a string') }) },
        { error: 'must be an object' },
      ),
    ),
    // OpenAI accepts null for its optional fields; so do its SDKs' users.
    stream: streamFlag.nullish(),
    max_tokens: tokenLimit.nullish(),
    max_completion_tokens: tokenLimit.nullish(),
    n: z
      .number({ error: `must be an integer from 1 to ${MAX_CHOICES}` })
      .int(`must be an integer from 1 to ${MAX_CHOICES}`)
      .min(1, `must be an integer from 1 to ${MAX_CHOICES}`)
      .max(MAX_CHOICES, `must be an integer from 1 to ${MAX_CHOICES}`)
      .nullish(),
  },
  { error: 'must be a JSON object' },
);

const messagesBody = z.looseObject(
  {
    model,
    messages: messagesArray(
      z.looseObject(
        {
          role: z.enum(['user', 'assistant'], {
            error: requiredOr("must be 'user' or 'assistant'"),
          }),
          content: z.union([z.string(), z.array(z.unknown())], {
            error: requiredOr('must be a string or an array'),
          }),
        },
        { error: 'must be an object' },
      ),
    ),
    max_tokens: tokenLimit,
    system: z
      .union([z.string(), z.array(z.unknown())], { error: 'must be a string or an array' })
      .optional(),
    stream: streamFlag.optional(),
  },
  { error: 'must be a JSON object' },
);

const SCHEMAS: Record<ProxyEndpoint, z.ZodType<{ model: string; stream?: boolean | null }>> = {
  'chat.completions': chatCompletionsBody,
  messages: messagesBody,
};

/**
 * The body `endpoint` accepts, as the JSON Schema (OpenAPI 3.0 dialect) of the very schema that
 * validates it: the API document cannot describe a rule the gateway does not apply.
 */
export function requestBodyJsonSchema(endpoint: ProxyEndpoint): Record<string, unknown> {
  return z.toJSONSchema(SCHEMAS[endpoint], { target: 'openapi-3.0' });
}

export type ValidatedRequest = { model: string; stream: boolean; body: Record<string, unknown> };

export type RequestValidation =
  { ok: true; value: ValidatedRequest } | { ok: false; message: string };

/**
 * Checks a client body for `endpoint`. On success `body` is the original object, unknown
 * fields included; on failure `message` names the first offending field.
 */
export function validateRequestBody(endpoint: ProxyEndpoint, body: unknown): RequestValidation {
  const result = SCHEMAS[endpoint].safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue === undefined) return { ok: false, message: 'body is invalid' };
    return { ok: false, message: `${formatPath(issue.path)} ${issue.message}` };
  }
  return {
    ok: true,
    value: {
      model: result.data.model,
      stream: result.data.stream === true,
      body: body as Record<string, unknown>,
    },
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  return path
    .map((key, index) => {
      if (typeof key === 'number') return `[${key}]`;
      return index === 0 ? String(key) : `.${String(key)}`;
    })
    .join('');
}
