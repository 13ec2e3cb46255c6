import type { ProxyReply } from '@gatehouse/queue';
import { ReplyClosedError, ReplyTimeoutError, Waiter } from './reply-hub.service.js';

const chunk = (data: string): ProxyReply => ({ type: 'chunk', data });
const far = () => Date.now() + 60_000;

describe('reply hub waiter', () => {
  it('delivers replies in sequence and refuses duplicates and early ones', async () => {
    const waiter = new Waiter();
    expect(waiter.deliver(2, chunk('early'))).toBe(false);
    expect(waiter.deliver(1, chunk('a'))).toBe(true);
    expect(waiter.deliver(1, chunk('a again'))).toBe(false);
    expect(waiter.deliver(2, chunk('b'))).toBe(true);
    expect(waiter.seq).toBe(2);
    await expect(waiter.next(far())).resolves.toEqual(chunk('a'));
    await expect(waiter.next(far())).resolves.toEqual(chunk('b'));
  });

  it('wakes a pending next() with the reply that arrives', async () => {
    const waiter = new Waiter();
    const pending = waiter.next(far());
    waiter.deliver(1, chunk('a'));
    await expect(pending).resolves.toEqual(chunk('a'));
  });

  it('times out at the deadline when nothing arrives', async () => {
    const waiter = new Waiter();
    await expect(waiter.next(Date.now() + 20)).rejects.toBeInstanceOf(ReplyTimeoutError);
  });

  it('rejects a pending next() when its channel closes, and every next() after', async () => {
    const waiter = new Waiter();
    const pending = waiter.next(far());
    waiter.close();
    await expect(pending).rejects.toBeInstanceOf(ReplyClosedError);
    await expect(waiter.next(far())).rejects.toBeInstanceOf(ReplyClosedError);
  });

  it('hands out what was buffered before a failure, then the failure', async () => {
    const waiter = new Waiter();
    waiter.deliver(1, chunk('a'));
    waiter.fail(new Error('replies were trimmed'));
    await expect(waiter.next(far())).resolves.toEqual(chunk('a'));
    await expect(waiter.next(far())).rejects.toThrow('replies were trimmed');
  });

  it('notes when it last heard anything, duplicates included', () => {
    const realNow = Date.now;
    try {
      Date.now = () => 1_000;
      const waiter = new Waiter();
      Date.now = () => 1_500;
      waiter.deliver(5, chunk('early'));
      expect(waiter.heardAt).toBe(1_500);
    } finally {
      Date.now = realNow;
    }
  });
});
