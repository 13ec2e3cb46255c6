import type { ProxyEndpoint } from '@gatehouse/queue';
import type { SchemaObject } from '@nestjs/swagger';

/**
 * A provider-compatible endpoint: where ProxyRoutes mounts it, and what the API document says
 * of it. Both read this table, so a route cannot be mounted undocumented or documented unmounted.
 * Request bodies are documented from the validator's own schema (requestBodyJsonSchema).
 */
export type ProxyRoute = {
  path: string;
  endpoint: ProxyEndpoint;
  summary: string;
  description: string;
  /** The provider's JSON answer, relayed as the provider sent it (loosely described). */
  response: SchemaObject;
  /** One `data:` payload of the SSE stream answered to `stream: true`. */
  streamEvent: SchemaObject;
};

const CHAT_COMPLETION: SchemaObject = {
  type: 'object',
  description: "OpenAI's chat.completion object, as the upstream provider returned it",
  required: ['id', 'object', 'choices'],
  properties: {
    id: { type: 'string' },
    object: { type: 'string', example: 'chat.completion' },
    created: { type: 'integer' },
    model: { type: 'string' },
    choices: { type: 'array', items: { type: 'object', additionalProperties: true } },
    usage: {
      type: 'object',
      additionalProperties: true,
      properties: {
        prompt_tokens: { type: 'integer' },
        completion_tokens: { type: 'integer' },
        total_tokens: { type: 'integer' },
      },
    },
  },
  additionalProperties: true,
};

const ANTHROPIC_MESSAGE: SchemaObject = {
  type: 'object',
  description: "Anthropic's message object, as the upstream provider returned it",
  required: ['id', 'type', 'content'],
  properties: {
    id: { type: 'string' },
    type: { type: 'string', example: 'message' },
    role: { type: 'string', example: 'assistant' },
    model: { type: 'string' },
    content: { type: 'array', items: { type: 'object', additionalProperties: true } },
    stop_reason: { type: 'string', nullable: true },
    usage: {
      type: 'object',
      additionalProperties: true,
      properties: { input_tokens: { type: 'integer' }, output_tokens: { type: 'integer' } },
    },
  },
  additionalProperties: true,
};

export const PROXY_ROUTES: readonly ProxyRoute[] = [
  {
    path: '/v1/chat/completions',
    endpoint: 'chat.completions',
    summary: 'OpenAI-compatible chat completions',
    description:
      'JSON, or Server-Sent Events with `stream: true` (ending in `data: [DONE]`). The key must ' +
      'allow the model; the request is reserved against its budgets before it is queued.',
    response: CHAT_COMPLETION,
    streamEvent: {
      type: 'object',
      description: 'A chat.completion.chunk object',
      additionalProperties: true,
    },
  },
  {
    path: '/v1/messages',
    endpoint: 'messages',
    summary: 'Anthropic-compatible messages',
    description:
      'JSON, or Server-Sent Events with `stream: true` (`event:` lines name the event type). ' +
      'The key must allow the model; the request is reserved against its budgets before it is ' +
      'queued.',
    response: ANTHROPIC_MESSAGE,
    streamEvent: {
      type: 'object',
      description: 'An Anthropic stream event (message_start, content_block_delta, ...)',
      additionalProperties: true,
    },
  },
];
