import { requestBodyJsonSchema } from './request-schemas.js';

describe('requestBodyJsonSchema', () => {
  it('describes the chat completions body the validator applies, unknown fields allowed', () => {
    const schema = requestBodyJsonSchema('chat.completions') as {
      required: string[];
      properties: Record<string, { maximum?: number; nullable?: boolean }>;
      additionalProperties: unknown;
    };
    expect(schema.required).toEqual(expect.arrayContaining(['model', 'messages']));
    expect(schema.properties.n?.maximum).toBe(16);
    expect(schema.properties.stream?.nullable).toBe(true);
    expect(schema.additionalProperties).toEqual({});
  });

  it('requires max_tokens on Anthropic messages', () => {
    const schema = requestBodyJsonSchema('messages') as { required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(['model', 'messages', 'max_tokens']));
  });
});
