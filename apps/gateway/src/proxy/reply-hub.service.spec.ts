import { jest } from '@jest/globals';
import type { ProxyReply } from '@gatehouse/queue';
import {
  ReplyClosedError,
  type ReplyListener,
  ReplyTimeoutError,
  Waiter,
} from './reply-hub.service.js';

const chunk = (data: string): ProxyReply => ({ type: 'chunk', data });
const far = () => Date.now() + 60_000;

/** A listener that notes what it was handed, in order. */
function recorder(): ReplyListener & { seen: (ProxyReply | Error)[] } {
  const seen: (ProxyReply | Error)[] = [];
  return { seen, reply: (r) => seen.push(r), fail: (err) => seen.push(err) };
}

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

  it('hands a listener what was buffered at once, then each reply as it is delivered', () => {
    const waiter = new Waiter(far());
    waiter.deliver(1, chunk('a'));
    waiter.deliver(2, chunk('b'));
    const listener = recorder();
    waiter.listen(listener);
    expect(listener.seen).toEqual([chunk('a'), chunk('b')]);
    waiter.deliver(3, chunk('c')); // synchronously, in the turn it arrives
    expect(listener.seen).toEqual([chunk('a'), chunk('b'), chunk('c')]);
    expect(waiter.deliver(3, chunk('c again'))).toBe(false);
    expect(listener.seen).toHaveLength(3);
    waiter.close();
  });

  it('tells a listener once when its channel closes, fails or times out', async () => {
    const closed = new Waiter(far());
    const onClose = recorder();
    closed.listen(onClose);
    closed.close();
    closed.close();
    expect(onClose.seen).toEqual([expect.any(ReplyClosedError)]);

    const failed = new Waiter(far());
    const onFailure = recorder();
    failed.listen(onFailure);
    failed.fail(new Error('replies were trimmed'));
    failed.close();
    expect(onFailure.seen).toEqual([new Error('replies were trimmed')]);

    const late = new Waiter(Date.now() + 20);
    const onDeadline = recorder();
    late.listen(onDeadline);
    await new Promise((r) => setTimeout(r, 40));
    expect(onDeadline.seen).toEqual([expect.any(ReplyTimeoutError)]);
  });

  it('tells a listener nothing after the last reply: neither the close nor the deadline', async () => {
    const live = new Waiter(Date.now() + 20);
    const listener = recorder();
    live.listen(listener);
    const end: ProxyReply = { type: 'end' };
    live.deliver(1, chunk('a'));
    live.deliver(2, end);
    await new Promise((r) => setTimeout(r, 40));
    live.close();
    expect(listener.seen).toEqual([chunk('a'), end]);

    const buffered = new Waiter(far());
    const result: ProxyReply = {
      type: 'result',
      status: 200,
      contentType: 'application/json',
      body: '{}',
    };
    buffered.deliver(1, result);
    const late = recorder();
    buffered.listen(late);
    buffered.close();
    expect(late.seen).toEqual([result]);
  });

  it('hands a listener that comes after a failure what was buffered, then the failure', () => {
    const waiter = new Waiter(far());
    waiter.deliver(1, chunk('a'));
    waiter.fail(new Error('replies were trimmed'));
    const listener = recorder();
    waiter.listen(listener);
    expect(listener.seen).toEqual([chunk('a'), new Error('replies were trimmed')]);
  });

  it('refuses a listener while a next() is pending', () => {
    const waiter = new Waiter(far());
    void waiter.next().catch(() => undefined);
    expect(() => waiter.listen(recorder())).toThrow('a reply is awaited');
    waiter.close();
  });
});
