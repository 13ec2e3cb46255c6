import { jest } from '@jest/globals';
import type { ProxyReply } from '@gatehouse/queue';
import { ReplyClosedError, ReplyTimeoutError, Waiter } from './reply-hub.service.js';

const chunk = (data: string): ProxyReply => ({ type: 'chunk', data });
const far = () => Date.now() + 60_000;

describe('reply hub waiter', () => {
  it('delivers replies in sequence and refuses duplicates and early ones', async () => {
    const waiter = new Waiter(far());
    expect(waiter.deliver(2, chunk('early'))).toBe(false);
    expect(waiter.deliver(1, chunk('a'))).toBe(true);
    expect(waiter.deliver(1, chunk('a again'))).toBe(false);
    expect(waiter.deliver(2, chunk('b'))).toBe(true);
    expect(waiter.seq).toBe(2);
    await expect(waiter.next()).resolves.toEqual(chunk('a'));
    await expect(waiter.next()).resolves.toEqual(chunk('b'));
  });

  it('wakes a pending next() with the reply that arrives', async () => {
    const waiter = new Waiter(far());
    const pending = waiter.next();
    waiter.deliver(1, chunk('a'));
    await expect(pending).resolves.toEqual(chunk('a'));
    waiter.close();
  });

  it('times out at the deadline when nothing arrives', async () => {
    const waiter = new Waiter(Date.now() + 20);
    await expect(waiter.next()).rejects.toBeInstanceOf(ReplyTimeoutError);
  });

  it('holds one deadline for the whole request, however many replies it awaits', async () => {
    const waiter = new Waiter(Date.now() + 50);
    for (let seq = 1; seq <= 3; seq++) {
      const pending = waiter.next();
      waiter.deliver(seq, chunk(String(seq)));
      await expect(pending).resolves.toEqual(chunk(String(seq)));
    }
    await expect(waiter.next()).rejects.toBeInstanceOf(ReplyTimeoutError);
    await expect(waiter.next()).rejects.toBeInstanceOf(ReplyTimeoutError);
  });

  it('arms one timer per request, not one per awaited reply, and clears it on close', async () => {
    const armed = jest.spyOn(globalThis, 'setTimeout');
    const cleared = jest.spyOn(globalThis, 'clearTimeout');
    try {
      const waiter = new Waiter(far());
      for (let seq = 1; seq <= 5; seq++) {
        const pending = waiter.next();
        waiter.deliver(seq, chunk(String(seq)));
        await pending;
      }
      expect(armed).toHaveBeenCalledTimes(1);
      const timer = armed.mock.results[0]?.value;
      waiter.close();
      expect(cleared).toHaveBeenCalledWith(timer);
    } finally {
      armed.mockRestore();
      cleared.mockRestore();
    }
  });

  it('rejects a pending next() when its channel closes, and every next() after', async () => {
    const waiter = new Waiter(far());
    const pending = waiter.next();
    waiter.close();
    await expect(pending).rejects.toBeInstanceOf(ReplyClosedError);
    await expect(waiter.next()).rejects.toBeInstanceOf(ReplyClosedError);
  });

  it('hands out what was buffered before a failure, then the failure', async () => {
    const waiter = new Waiter(far());
    waiter.deliver(1, chunk('a'));
    waiter.fail(new Error('replies were trimmed'));
    await expect(waiter.next()).resolves.toEqual(chunk('a'));
    await expect(waiter.next()).rejects.toThrow('replies were trimmed');
  });

  it('notes when it last heard anything, duplicates included', () => {
    const realNow = Date.now;
    try {
      Date.now = () => 1_000;
      const waiter = new Waiter(far());
      Date.now = () => 1_500;
      waiter.deliver(5, chunk('early'));
      expect(waiter.heardAt).toBe(1_500);
    } finally {
      Date.now = realNow;
    }
  });
});
