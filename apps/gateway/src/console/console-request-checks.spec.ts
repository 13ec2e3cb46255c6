import {
  carriesCsrfToken,
  isSameOriginRequest,
  sessionCookie,
  sessionCookieOf,
} from './console-request-checks.js';

describe('console request checks', () => {
  it('finds the session cookie among others', () => {
    expect(sessionCookieOf({ cookie: 'a=1; gatehouse_console=abc; b=2' })).toBe('abc');
    expect(sessionCookieOf({ cookie: 'gatehouse_consolex=abc' })).toBeUndefined();
    expect(sessionCookieOf({})).toBeUndefined();
  });

  it('accepts same-origin fetches and refuses cross-site or unlabelled ones', () => {
    expect(isSameOriginRequest({ 'sec-fetch-site': 'same-origin' })).toBe(true);
    expect(isSameOriginRequest({ 'sec-fetch-site': 'same-site' })).toBe(false);
    expect(isSameOriginRequest({ 'sec-fetch-site': 'cross-site' })).toBe(false);
    expect(isSameOriginRequest({ 'sec-fetch-site': 'none' })).toBe(false);
    expect(isSameOriginRequest({ origin: 'http://gw.test:3000', host: 'gw.test:3000' })).toBe(true);
    expect(isSameOriginRequest({ origin: 'http://evil.test', host: 'gw.test:3000' })).toBe(false);
    expect(isSameOriginRequest({ origin: 'null', host: 'gw.test' })).toBe(false);
    expect(isSameOriginRequest({ host: 'gw.test' })).toBe(false);
  });

  it('compares the CSRF token exactly', () => {
    expect(carriesCsrfToken({ 'x-csrf-token': 'tok' }, 'tok')).toBe(true);
    expect(carriesCsrfToken({ 'x-csrf-token': 'tok2' }, 'tok')).toBe(false);
    expect(carriesCsrfToken({}, 'tok')).toBe(false);
  });

  it('scopes the cookie to the admin API, HttpOnly and SameSite=Strict', () => {
    const set = sessionCookie('abc', { secure: true, maxAgeSeconds: 60 });
    expect(set).toBe(
      'gatehouse_console=abc; Path=/api/v1/admin; Max-Age=60; HttpOnly; SameSite=Strict; Secure',
    );
    expect(sessionCookie(null, { secure: false, maxAgeSeconds: 60 })).toMatch(
      /^gatehouse_console=; Path=\/api\/v1\/admin; Max-Age=0; HttpOnly; SameSite=Strict$/,
    );
  });
});
