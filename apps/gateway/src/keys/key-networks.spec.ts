import { isNetworkEntry, networkAllowlist, normalizeNetworks } from './key-networks.js';

describe('key networks', () => {
  it.each(['203.0.113.7', '10.0.0.0/8', '0.0.0.0/0', '2001:db8::5', '2001:db8:1:2::/64', '::/0'])(
    'accepts %s',
    (entry) => {
      expect(isNetworkEntry(entry)).toBe(true);
    },
  );

  it.each([
    '300.1.1.1',
    'example.com',
    '10.0.0.0/33',
    '2001:db8::/129',
    '10.0.0.0/8/1',
    '10.0.0.0/x',
    '',
  ])('refuses %j', (entry) => {
    expect(isNetworkEntry(entry)).toBe(false);
  });

  it('lets any address in with an empty list', () => {
    expect(networkAllowlist([])('198.51.100.1')).toBe(true);
  });

  it('checks exact addresses, IPv4 ranges and IPv6 /64s', () => {
    const allows = networkAllowlist([
      '203.0.113.7',
      '10.1.0.0/16',
      '2001:db8:1:2::/64',
      '2001:db8::5',
    ]);
    expect(allows('203.0.113.7')).toBe(true);
    expect(allows('203.0.113.8')).toBe(false);
    expect(allows('10.1.255.3')).toBe(true);
    expect(allows('10.2.0.1')).toBe(false);
    expect(allows('2001:db8:1:2:ffff::1')).toBe(true);
    expect(allows('2001:db8:1:3::1')).toBe(false);
    expect(allows('2001:db8::5')).toBe(true);
    expect(allows('2001:db8::6')).toBe(false);
    // An IPv4 client seen through an IPv6 socket.
    expect(allows('::ffff:203.0.113.7')).toBe(true);
    expect(allows('not an address')).toBe(false);
  });

  it('stores entries trimmed and once', () => {
    expect(normalizeNetworks([' 10.0.0.0/8', '10.0.0.0/8', '2001:db8::5'])).toEqual([
      '10.0.0.0/8',
      '2001:db8::5',
    ]);
  });
});
