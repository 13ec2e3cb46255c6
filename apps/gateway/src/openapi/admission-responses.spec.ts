import type { OperationObject } from '@nestjs/swagger';
import { completeOperation } from './admission-responses.js';
import { ADMIN_SECURITY, CLIENT_SECURITY } from './security-schemes.js';

const ok = () => ({ '200': { description: 'ok' } });
const headersOf = (op: OperationObject, status: string) =>
  Object.keys((op.responses[status] as { headers?: object }).headers ?? {});

describe('completeOperation', () => {
  it('gives a route that states no access the client schemes, as the guard defaults to', () => {
    const op: OperationObject = { responses: ok() };
    completeOperation('get', op);
    expect(op.security).toEqual(CLIENT_SECURITY);
    expect(Object.keys(op.responses)).toEqual(
      expect.arrayContaining(['400', '401', '403', '429', '500', '503']),
    );
    expect(headersOf(op, '200')).toEqual(
      expect.arrayContaining(['X-Request-Id', 'X-RateLimit-Limit', 'X-Budget-Tokens-Day-Limit']),
    );
    expect(headersOf(op, '429')).toContain('Retry-After');
  });

  it('gives admin routes no budget headers, and keeps a route’s own error description', () => {
    const op: OperationObject = {
      security: [...ADMIN_SECURITY],
      responses: { ...ok(), '403': { description: 'mine' } },
    };
    completeOperation('post', op);
    expect(op.security).toEqual(ADMIN_SECURITY);
    expect(op.responses['403']).toMatchObject({ description: 'mine' });
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['413', '415']));
    expect(headersOf(op, '200')).toContain('X-RateLimit-Remaining');
    expect(headersOf(op, '200').some((h) => h.startsWith('X-Budget-'))).toBe(false);
  });

  it('adds neither credentials errors nor limit headers to public routes', () => {
    const op: OperationObject = { security: [{}], responses: ok() };
    completeOperation('get', op);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '500']);
    expect(headersOf(op, '200')).toEqual(['X-Request-Id']);
  });

  it('does not answer 403 for "any key" routes, where both kinds of key are let in', () => {
    const op: OperationObject = {
      security: [...CLIENT_SECURITY, ...ADMIN_SECURITY],
      responses: ok(),
    };
    completeOperation('get', op);
    expect(op.responses['401']).toBeDefined();
    expect(op.responses['403']).toBeUndefined();
  });
});
