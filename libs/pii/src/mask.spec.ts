import { PiiDetector } from './detector.js';
import { maskRequestBody } from './mask.js';

const detector = new PiiDetector({ terms: ['Project Falcon'] });

describe('maskRequestBody', () => {
  it('numbers placeholders per type and reuses them for the same value', () => {
    const body = {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Support for a@example.com.' },
        { role: 'user', content: 'I am b@example.com, cc a@example.com, from 10.0.0.1.' },
      ],
    };
    const { body: masked, mapping, counts } = maskRequestBody(detector, 'openai', body);
    expect(masked.messages).toEqual([
      { role: 'system', content: 'Support for <EMAIL_1>.' },
      { role: 'user', content: 'I am <EMAIL_2>, cc <EMAIL_1>, from <IP_1>.' },
    ]);
    expect(mapping).toEqual({
      '<EMAIL_1>': 'a@example.com',
      '<EMAIL_2>': 'b@example.com',
      '<IP_1>': '10.0.0.1',
    });
    expect(counts).toEqual({ email: 3, ip: 1 });
  });

  it('masks OpenAI text parts, tool call arguments and a legacy prompt, and nothing else', () => {
    const body = {
      model: 'a@example.com',
      prompt: 'legacy a@example.com',
      messages: [
        {
          role: 'user',
          name: 'a@example.com',
          content: [
            { type: 'text', text: 'about Project Falcon' },
            { type: 'image_url', image_url: { url: 'https://a@example.com/x.png' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'lookup', arguments: '{"email":"a@example.com"}' },
            },
          ],
        },
      ],
    };
    const { body: masked } = maskRequestBody(detector, 'openai', body);
    expect(masked).toEqual({
      model: 'a@example.com',
      prompt: 'legacy <EMAIL_1>',
      messages: [
        {
          role: 'user',
          name: 'a@example.com',
          content: [
            { type: 'text', text: 'about <TERM_1>' },
            { type: 'image_url', image_url: { url: 'https://a@example.com/x.png' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'lookup', arguments: '{"email":"<EMAIL_1>"}' },
            },
          ],
        },
      ],
    });
  });

  it('masks Anthropic system, text, nested tool inputs and tool results, and not the input', () => {
    const body = {
      model: 'claude',
      system: [{ type: 'text', text: 'Agent for 10.1.2.3', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'mail a@example.com' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Looking up a@example.com' },
            {
              type: 'tool_use',
              id: 'toolu_1',
              name: 'crm',
              input: {
                'a@example.com': 'key kept',
                contacts: [{ email: 'b@example.com', ip: ['10.1.2.3', 42, null, true] }],
                note: { deep: { deeper: 'SSN 123-45-6789' } },
              },
            },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'found b@example.com' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_2',
              content: [
                { type: 'text', text: 'c@example.com' },
                { type: 'image', source: { type: 'base64', data: 'a@example.com' } },
              ],
            },
          ],
        },
      ],
    };
    const before = structuredClone(body);
    const { body: masked, counts } = maskRequestBody(detector, 'anthropic', body);
    expect(body).toEqual(before);
    expect(masked).toEqual({
      model: 'claude',
      system: [{ type: 'text', text: 'Agent for <IP_1>', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'mail <EMAIL_1>' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Looking up <EMAIL_1>' },
            {
              type: 'tool_use',
              id: 'toolu_1',
              name: 'crm',
              input: {
                'a@example.com': 'key kept',
                contacts: [{ email: '<EMAIL_2>', ip: ['<IP_1>', 42, null, true] }],
                note: { deep: { deeper: 'SSN <SSN_1>' } },
              },
            },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'found <EMAIL_2>' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_2',
              content: [
                { type: 'text', text: '<EMAIL_3>' },
                { type: 'image', source: { type: 'base64', data: 'a@example.com' } },
              ],
            },
          ],
        },
      ],
    });
    expect(counts).toEqual({ ip: 2, email: 5, ssn: 1 });
  });

  it('returns a new body without touching the input, even with nothing to mask', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hello' }] };
    const result = maskRequestBody(detector, 'openai', body);
    expect(result.body).not.toBe(body);
    expect(result.body).toEqual(body);
    expect(result.mapping).toEqual({});
    expect(result.counts).toEqual({});
  });

  it('keeps a __proto__ key of a tool input as an own property', () => {
    const input = JSON.parse('{"__proto__": {"x": "a@example.com"}}') as Record<string, unknown>;
    const body = { messages: [{ role: 'user', content: [{ type: 'tool_use', input }] }] };
    const { body: masked } = maskRequestBody(detector, 'anthropic', body);
    const out = (masked.messages[0]?.content[0] as { input: object }).input;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"x":"<EMAIL_1>"}}');
  });

  it('masks a deeply nested tool input without exhausting the stack', () => {
    let input: unknown = 'a@example.com';
    for (let i = 0; i < 100_000; i++) input = [input];
    const body = { messages: [{ role: 'user', content: [{ type: 'tool_use', input }] }] };
    const { counts } = maskRequestBody(detector, 'anthropic', body);
    expect(counts).toEqual({ email: 1 });
  });

  it('gives custom patterns their own numbering, shared with a built-in label of the same name', () => {
    const custom = new PiiDetector({
      customPatterns: [
        { name: 'ticket', pattern: 'T-\\d{4}' },
        { name: 'email', pattern: 'mail:\\w+' },
      ],
    });
    const { body } = maskRequestBody(custom, 'openai', {
      prompt: 'T-1234 a@example.com mail:bob T-5678',
    });
    expect(body.prompt).toBe('<TICKET_1> <EMAIL_1> <EMAIL_2> <TICKET_2>');
  });
});
