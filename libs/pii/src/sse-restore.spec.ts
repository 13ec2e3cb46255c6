import { SseRestorer } from './sse-restore.js';

const mapping = { '<EMAIL_1>': 'jane@example.com', '<TERM_1>': 'Say "hi"' };

const openAi = (content: string, index = 0) =>
  `data: ${JSON.stringify({ id: 'x', choices: [{ index, delta: { content }, finish_reason: null }] })}\n\n`;
const finish = `data: ${JSON.stringify({ id: 'x', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`;

/** The text a client reads from OpenAI-style events. */
function textOf(sse: string): string {
  return sse
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)) as { choices: { delta: { content?: string } }[] })
    .map((c) => c.choices[0]?.delta.content ?? '')
    .join('');
}

describe('SseRestorer', () => {
  it('restores a placeholder split across two and three events', () => {
    const restorer = new SseRestorer(mapping, 'openai');
    let out = '';
    for (const piece of ['Mail <EM', 'AIL', '_1> now, <TER', 'M_1>.'])
      out += restorer.feed(openAi(piece));
    out += restorer.feed(finish) + restorer.end();
    expect(textOf(out)).toBe('Mail jane@example.com now, Say "hi".');
  });

  it('holds only what could start a placeholder, and passes other events byte for byte', () => {
    const restorer = new SseRestorer(mapping, 'openai');
    expect(restorer.feed(openAi('plain text'))).toBe(openAi('plain text'));
    // `a < b` cannot be a placeholder: it goes out at once.
    expect(textOf(restorer.feed(openAi('a < b')))).toBe('a < b');
    expect(textOf(restorer.feed(openAi('x <EMA')))).toBe('x ');
    expect(textOf(restorer.feed(openAi('IL_1>')))).toBe('jane@example.com');
  });

  it('sends held text before the finishing event, or out at the end', () => {
    const restorer = new SseRestorer(mapping, 'openai');
    expect(textOf(restorer.feed(openAi('ends with <EMAIL')))).toBe('ends with ');
    expect(textOf(restorer.feed(finish))).toBe('<EMAIL');
    const cut = new SseRestorer(mapping, 'openai');
    cut.feed(openAi('<TERM'));
    expect(textOf(cut.end())).toBe('<TERM');
  });

  it('keeps choices apart and waits for an event cut in two', () => {
    const restorer = new SseRestorer(mapping, 'openai');
    const both = openAi('<EMA', 0) + openAi('<TERM_1>', 1);
    const out =
      restorer.feed(both.slice(0, 30)) +
      restorer.feed(both.slice(30)) +
      restorer.feed(openAi('IL_1>', 0));
    expect(out).toContain('Say \\"hi\\"');
    expect(textOf(out)).toContain('jane@example.com');
  });

  it('restores Anthropic text deltas, flushing before a block stops', () => {
    const restorer = new SseRestorer(mapping, 'anthropic');
    const delta = (text: string) =>
      `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })}\n\n`;
    const stop = `event: content_block_stop\ndata: ${JSON.stringify({ type: 'content_block_stop', index: 0 })}\n\n`;
    const out =
      restorer.feed(delta('to <EMAI')) + restorer.feed(delta('L_1> and <TE')) + restorer.feed(stop);
    const texts = out
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { delta?: { text?: string } })
      .map((e) => e.delta?.text ?? '')
      .join('');
    expect(texts).toBe('to jane@example.com and <TE');
    expect(out.indexOf('content_block_stop')).toBeGreaterThan(out.lastIndexOf('text_delta'));
  });

  it('restores tool-call arguments as JSON, split across events', () => {
    const restorer = new SseRestorer(mapping, 'openai');
    const args = (fragment: string) =>
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: fragment } }] } }] })}\n\n`;
    const out =
      restorer.feed(args('{"to":"<EMA')) +
      restorer.feed(args('IL_1>","note":"<TERM_')) +
      restorer.feed(args('1>"}')) +
      restorer.feed(finish) +
      restorer.end();
    const joined = out
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map(
        (l) =>
          JSON.parse(l.slice(6)) as {
            choices: { delta: { tool_calls?: { function: { arguments: string } }[] } }[];
          },
      )
      .map((c) => c.choices[0]?.delta.tool_calls?.[0]?.function.arguments ?? '')
      .join('');
    // The client parses what it concatenated: the original, quote included, comes back intact.
    expect(JSON.parse(joined)).toEqual({ to: 'jane@example.com', note: 'Say "hi"' });
  });

  it('restores Anthropic tool input JSON, flushing what is held before the block stops', () => {
    const restorer = new SseRestorer(mapping, 'anthropic');
    const part = (partial_json: string) =>
      `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json } })}\n\n`;
    const stop = `event: content_block_stop\ndata: ${JSON.stringify({ type: 'content_block_stop', index: 1 })}\n\n`;
    const out =
      restorer.feed(part('{"n":"<TE')) + restorer.feed(part('RM_1>"}')) + restorer.feed(stop);
    const joined = out
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { delta?: { partial_json?: string } })
      .map((e) => e.delta?.partial_json ?? '')
      .join('');
    expect(JSON.parse(joined)).toEqual({ n: 'Say "hi"' });
  });

  it('runs in bounded time on a stream of angle brackets', () => {
    const restorer = new SseRestorer(mapping, 'openai');
    const started = Date.now();
    for (let i = 0; i < 2_000; i++) restorer.feed(openAi('<'.repeat(500)));
    restorer.end();
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
