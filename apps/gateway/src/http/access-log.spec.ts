import type { AppConfig } from '@gatehouse/config';
import { jest } from '@jest/globals';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { accessLogger } from './access-log.js';

const config = {
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'json',
  NODE_ENV: 'test',
  ADMIN_API_KEY: randomBytes(24).toString('hex'),
  KEY_PEPPER: randomBytes(24).toString('hex'),
} as unknown as AppConfig;

function request(id: string): [FastifyRequest, FastifyReply] {
  const req = { id, method: 'POST', path: '/v1/chat/completions', clientIp: '127.0.0.1' };
  const reply = { statusCode: 200, elapsedTime: 1 };
  return [req as unknown as FastifyRequest, reply as unknown as FastifyReply];
}

/** What the access log wrote to stdout (fd 1) while `fn` ran, other writes passed through. */
function stdoutLines(fn: () => void): string[] {
  const written: string[] = [];
  const writeSync = fs.writeSync.bind(fs);
  const spy = jest.spyOn(fs, 'writeSync').mockImplementation((fd: number, data: unknown) => {
    if (fd !== 1) return writeSync(fd, data as string);
    written.push(String(data));
    return Buffer.byteLength(String(data));
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return written.join('').split('\n').filter(Boolean);
}

describe('accessLogger', () => {
  it('holds lines in a block and writes them when its app closes', () => {
    const log = accessLogger(config);
    const lines = stdoutLines(() => {
      log.log(...request('held-1'));
      log.log(...request('held-2'));
    });
    expect(lines).toEqual([]);
    const flushed = stdoutLines(() => log.close());
    expect(flushed.map((l) => (JSON.parse(l) as { req: { id: string } }).req.id)).toEqual([
      'held-1',
      'held-2',
    ]);
  });

  it('still writes, at once, a line for a response that ends after its app closed', () => {
    const log = accessLogger(config);
    log.close();
    const lines = stdoutLines(() => log.log(...request('late')));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ req: { id: 'late' }, res: { status: 200 } });
  });

  it('leaves no exit listener behind once its app closes, for every app that came and went', () => {
    const before = process.listenerCount('exit');
    const logs = Array.from({ length: 3 }, () => accessLogger(config));
    expect(process.listenerCount('exit')).toBe(before + 3);
    for (const log of logs) {
      log.close();
      log.close(); // closing twice is harmless
    }
    expect(process.listenerCount('exit')).toBe(before);
  });
});
