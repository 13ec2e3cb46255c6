import { AdminApi, connectionError, errorFromResponse } from './admin-api.js';
import { ExitCode } from './exit-codes.js';

const body = (message: string) =>
  JSON.stringify({ error: { type: 't', message, request_id: 'req-1' } });

describe('errorFromResponse', () => {
  it.each([
    [400, ExitCode.usage, /Invalid request \(400\): bad field/],
    [401, ExitCode.auth, /Authentication failed \(401\).*GATEHOUSE_ADMIN_KEY/],
    [403, ExitCode.auth, /Permission denied \(403\).*not a client key/],
    [404, ExitCode.notFound, /Not found \(404\)/],
    [429, ExitCode.rateLimited, /Rate limited \(429\): bad field\. Retry after 42 s\./],
    [503, ExitCode.unavailable, /unavailable \(503\)/],
    [500, ExitCode.failure, /answered 500/],
  ])('maps %i to exit code %i', (status, code, message) => {
    const err = errorFromResponse(status, body('bad field'), '42');
    expect(err.exitCode).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.message).toContain('request id req-1');
  });

  it('copes with a body that is not the gateway error shape', () => {
    const err = errorFromResponse(502, '<html>bad gateway</html>', null);
    expect(err.exitCode).toBe(ExitCode.unavailable);
    expect(err.message).toBe('The gateway is unavailable (502)');
  });
});

describe('connectionError', () => {
  const url = new URL('http://127.0.0.1:9/x');

  it('says the connection was refused, exit 6', () => {
    const err = connectionError(
      url,
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
      }),
    );
    expect(err.exitCode).toBe(ExitCode.unavailable);
    expect(err.message).toBe(
      'Cannot reach the gateway at http://127.0.0.1:9: connection refused; is it running?',
    );
  });

  it('says it timed out, exit 6', () => {
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    expect(connectionError(url, timeout).message).toMatch(/did not answer in time/);
  });
});

describe('AdminApi.urlFor', () => {
  it('keeps a path prefix of the configured URL and encodes the query', () => {
    const api = new AdminApi({ url: new URL('https://gw.example/gatehouse/'), adminKey: 'k' });
    expect(
      api.urlFor('/api/v1/admin/keys', { limit: 5, cursor: 'a b', skip: undefined }).href,
    ).toBe('https://gw.example/gatehouse/api/v1/admin/keys?limit=5&cursor=a+b');
  });
});
