import { credentialPrefix, presentedCredential } from './presented-credential.js';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('presentedCredential', () => {
  it('reads x-api-key, then Authorization: Bearer', () => {
    expect(presentedCredential({ 'x-api-key': 'k1' })).toEqual({ credential: 'k1' });
    expect(presentedCredential({ authorization: 'Bearer k2' })).toEqual({ credential: 'k2' });
    expect(presentedCredential({ 'x-api-key': 'k1', authorization: 'Bearer k1' })).toEqual({
      credential: 'k1',
    });
    // An empty x-api-key is no credential: the Bearer one counts.
    expect(presentedCredential({ 'x-api-key': '', authorization: 'Bearer k2' })).toEqual({
      credential: 'k2',
    });
  });

  it('marks two different credentials as conflicting, whichever forms they take', () => {
    const conflicting = { credential: '', conflicting: true };
    expect(presentedCredential({ 'x-api-key': 'k1', authorization: 'Bearer k2' })).toEqual(
      conflicting,
    );
    expect(presentedCredential({ 'x-api-key': 'k1', authorization: 'Token k1' })).toEqual(
      conflicting,
    );
    expect(
      presentedCredential({ 'x-api-key': 'k1', authorization: basic('u', 'k2') }, { basic: true }),
    ).toEqual(conflicting);
  });

  it('is undefined when nothing is presented', () => {
    expect(presentedCredential({})).toBeUndefined();
    expect(presentedCredential({ 'x-api-key': '' })).toBeUndefined();
  });

  it('takes an Authorization header in another form as a failed attempt, not an absence', () => {
    expect(presentedCredential({ authorization: 'Token abc' })).toEqual({ credential: '' });
    expect(presentedCredential({ authorization: basic('u', 'p') })).toEqual({ credential: '' });
  });

  it('reads the password of HTTP Basic only where asked (the queue board)', () => {
    expect(
      presentedCredential({ authorization: basic('anyone', 'secret') }, { basic: true }),
    ).toEqual({ credential: 'secret' });
    expect(presentedCredential({ authorization: 'Basic bm9jb2xvbg==' }, { basic: true })).toEqual({
      credential: '',
    });
  });

  it("records only a client key's display prefix", () => {
    expect(credentialPrefix({ credential: 'gk_0123abcd_secretpart' })).toEqual({
      key_prefix: 'gk_0123abcd',
    });
    expect(credentialPrefix({ credential: 'sk-something' })).toEqual({});
    expect(credentialPrefix(undefined)).toEqual({});
  });
});
