import {
  type ProxyReply,
  decodeReplyNotice,
  encodeReplyNotice,
  parseReplyText,
  replyText,
} from './proxy-contract.js';

describe('reply notices', () => {
  const reply: ProxyReply = {
    type: 'result',
    status: 200,
    contentType: 'application/json',
    body: '{"a":"b c"}',
    usage: { input: 3, output: 4 },
  };
  const chunk: ProxyReply = { type: 'chunk', data: 'data: {"c":"d e"}\n\n' };

  it('decodes a notice back to its request, sequence number and reply', () => {
    const notice = encodeReplyNotice('req-1', 2, reply);
    expect(notice).toBe(`req-1 2 ${JSON.stringify(reply)}`);
    expect(decodeReplyNotice(notice)).toEqual({ requestId: 'req-1', seq: 2, reply });
  });

  it('writes a chunk raw only for a gateway that reads it so, and reads both forms', () => {
    expect(replyText(chunk, true)).toBe(`c${chunk.type === 'chunk' ? chunk.data : ''}`);
    expect(replyText(chunk, false)).toBe(JSON.stringify(chunk));
    expect(replyText(reply, true)).toBe(JSON.stringify(reply)); // only chunks are written raw
    for (const raw of [true, false]) {
      expect(parseReplyText(replyText(chunk, raw))).toEqual(chunk);
      expect(decodeReplyNotice(encodeReplyNotice('req-2', 3, chunk, raw))?.reply).toEqual(chunk);
    }
    expect(parseReplyText('c')).toEqual({ type: 'chunk', data: '' });
  });

  it('refuses a notice that is neither JSON nor a raw chunk', () => {
    expect(decodeReplyNotice('req-1 2 nonsense')).toBeUndefined();
    expect(decodeReplyNotice('req-1 0 {}')).toBeUndefined();
    expect(() => parseReplyText('{"type":')).toThrow(SyntaxError);
  });
});
