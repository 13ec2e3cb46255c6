import { mayConnect, upstreamAddressPolicy } from './upstream-address-guard.js';

describe('mayConnect', () => {
  const strict = upstreamAddressPolicy(false, []);

  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.5',
    '192.168.1.10',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '224.0.0.1',
  ])('refuses %s by default', (address) => {
    expect(mayConnect(strict, 'api.example.com', address)).toBe(false);
  });

  it.each(['8.8.8.8', '104.18.6.192', '2606:4700::6810:1', '::ffff:8.8.8.8'])(
    'allows the public address %s',
    (address) => {
      expect(mayConnect(strict, 'api.example.com', address)).toBe(true);
    },
  );

  it('allows what the operator listed: host names, addresses and networks', () => {
    const policy = upstreamAddressPolicy(false, ['ollama', '10.0.0.0/8', '::1']);
    expect(mayConnect(policy, 'OLLAMA', '172.18.0.4')).toBe(true);
    expect(mayConnect(policy, 'other', '10.9.8.7')).toBe(true);
    expect(mayConnect(policy, 'other', '::1')).toBe(true);
    expect(mayConnect(policy, 'other', '::ffff:10.9.8.7')).toBe(true);
    expect(mayConnect(policy, 'other', '192.168.0.1')).toBe(false);
    expect(mayConnect(policy, 'other', '127.0.0.1')).toBe(false);
  });

  it('allows everything with UPSTREAM_ALLOW_PRIVATE', () => {
    expect(mayConnect(upstreamAddressPolicy(true, []), 'x', '127.0.0.1')).toBe(true);
  });
});
