import {
  type ProxyReply,
  decodeReplyNotice,
  encodeReplyNotice,
  encodeReplyNoticeJson,
} from './proxy-contract.js';

describe('reply notices', () => {
  const reply: ProxyReply = {
    type: 'result',
    status: 200,
    contentType: 'application/json',
    body: '{"a":"b c"}',
    usage: { input: 3, output: 4 },
  };

  it('encodes the same notice from a reply or from its JSON, and decodes it back', () => {
    const notice = encodeReplyNoticeJson('req-1', 2, JSON.stringify(reply));
    expect(notice).toBe(encodeReplyNotice('req-1', 2, reply));
    expect(decodeReplyNotice(notice)).toEqual({ requestId: 'req-1', seq: 2, reply });
  });
});
