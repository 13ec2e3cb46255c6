import assert from 'node:assert/strict';
import type request from 'supertest';

/**
 * Asserts the gateway's one error shape: JSON `{ error: { type, message, request_id } }` with the
 * response's own request id. node:assert rather than Jest's expect: test/support is compiled by
 * the build too (bench reuses it), without Jest's globals.
 */
export function expectError(res: request.Response, status: number, type: string): void {
  assert.equal(res.status, status, `status ${res.status}, expected ${status}: ${res.text}`);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.body as { error?: Record<string, unknown> };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error ?? {}).sort(), ['message', 'request_id', 'type']);
  assert.equal(body.error?.type, type);
  assert.equal(typeof body.error?.message, 'string');
  assert.equal(body.error?.request_id, res.headers['x-request-id']);
}
