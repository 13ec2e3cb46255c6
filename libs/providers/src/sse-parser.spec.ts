import { SseParser, type SseEvent } from './sse-parser.js';

/** Feeds the chunks in order and returns every event emitted. */
function parse(...chunks: string[]): SseEvent[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.feed(chunk));
}

const ANTHROPIC_STREAM =
  'event: message_start\r\n' +
  'data: {"type":"message_start"}\r\n' +
  '\r\n' +
  ': keep-alive comment\r\n' +
  '\r\n' +
  'event: content_block_delta\r\n' +
  'data: {"text":"a"}\r\n' +
  'data: {"text":"b"}\r\n' +
  '\r\n' +
  'data: [DONE]\r\n' +
  '\r\n';

const EXPECTED: SseEvent[] = [
  { event: 'message_start', data: '{"type":"message_start"}' },
  { event: 'content_block_delta', data: '{"text":"a"}\n{"text":"b"}' },
  { data: '[DONE]' },
];

describe('SseParser', () => {
  it('parses a whole CRLF stream: names, multi-line data, comments', () => {
    expect(parse(ANTHROPIC_STREAM)).toEqual(EXPECTED);
  });

  it('parses the same stream with LF and with bare CR line endings', () => {
    expect(parse(ANTHROPIC_STREAM.replaceAll('\r\n', '\n'))).toEqual(EXPECTED);
    expect(parse(ANTHROPIC_STREAM.replaceAll('\r\n', '\r'))).toEqual(EXPECTED);
  });

  it('gives the same events however a chunk is split in two', () => {
    for (const text of [ANTHROPIC_STREAM, ANTHROPIC_STREAM.replaceAll('\r\n', '\n')]) {
      for (let at = 0; at <= text.length; at += 1) {
        expect(parse(text.slice(0, at), text.slice(at))).toEqual(EXPECTED);
      }
    }
  });

  it('gives the same events fed one character at a time', () => {
    expect(parse(...ANTHROPIC_STREAM.split(''))).toEqual(EXPECTED);
  });

  it('gives the same events split at every pair of positions', () => {
    const text = ANTHROPIC_STREAM;
    for (let a = 0; a <= text.length; a += 1) {
      for (let b = a; b <= text.length; b += 7) {
        expect(parse(text.slice(0, a), text.slice(a, b), text.slice(b))).toEqual(EXPECTED);
      }
    }
  });

  it('treats CR then LF in separate chunks as one line ending, not two', () => {
    // A second line ending would be a blank line and emit the event early.
    const parser = new SseParser();
    expect(parser.feed('data: a\r')).toEqual([]);
    expect(parser.feed('\ndata: b\r')).toEqual([]);
    expect(parser.feed('')).toEqual([]);
    expect(parser.feed('\n\r\n')).toEqual([{ data: 'a\nb' }]);
  });

  it('emits an event only at a blank line', () => {
    const parser = new SseParser();
    expect(parser.feed('data: x\n')).toEqual([]);
    expect(parser.feed('\n')).toEqual([{ data: 'x' }]);
  });

  it('drops an unterminated event', () => {
    expect(parse('data: done\n\ndata: cut')).toEqual([{ data: 'done' }]);
  });

  it('strips one leading space only, and keeps colons inside the value', () => {
    expect(parse('data:  two spaces\n\ndata:none\n\ndata: {"a":"b:c"}\n\n')).toEqual([
      { data: ' two spaces' },
      { data: 'none' },
      { data: '{"a":"b:c"}' },
    ]);
  });

  it('emits empty data for a bare data field and nothing for an event without data', () => {
    expect(parse('data\n\nevent: ping\n\ndata:\ndata:\n\n')).toEqual([
      { data: '' },
      { data: '\n' },
    ]);
  });

  it('does not carry an event name over to the next event', () => {
    expect(parse('event: a\ndata: 1\n\ndata: 2\n\n')).toEqual([
      { event: 'a', data: '1' },
      { data: '2' },
    ]);
  });

  it('ignores id, retry and unknown fields, and a leading BOM', () => {
    expect(parse('\ufeffid: 7\nretry: 100\nfoo: bar\ndata: x\n\n')).toEqual([{ data: 'x' }]);
  });

  it('emits several events from one chunk', () => {
    expect(parse('data: 1\n\ndata: 2\n\ndata: 3\n\n').map((e) => e.data)).toEqual(['1', '2', '3']);
  });
});
