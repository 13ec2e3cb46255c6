import { randomBytes, randomUUID } from 'node:crypto';
import { type ChainedFields, GENESIS_HASH, legacyChainHash } from './chain.js';
import { ChainKeys } from './chain-keys.js';

const fields = (): ChainedFields => ({
  event_id: randomUUID(),
  type: 'key.created',
  at: new Date().toISOString(),
  actor: 'admin',
  key_id: null,
  request_id: null,
  ip: null,
  method: null,
  path: null,
  data: { n: 1 },
  bodies_hash: null,
});

describe('ChainKeys', () => {
  const keys = new ChainKeys(randomBytes(32).toString('hex'));

  it('links with a keyed hash that neither SHA-256 nor another key reproduces', () => {
    const f = fields();
    const link = keys.link(GENESIS_HASH, f);
    expect(link).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.link(GENESIS_HASH, f)).toBe(link);
    expect(link).not.toBe(legacyChainHash(GENESIS_HASH, f));
    expect(new ChainKeys(randomBytes(32).toString('hex')).link(GENESIS_HASH, f)).not.toBe(link);
  });

  it('signs heads that only the same key accepts, and refuses any changed part', () => {
    const head = { seq: '42', hash: 'ab'.repeat(32), signed_at: '2031-01-02T03:04:05.678Z' };
    const token = keys.headToken(head);
    expect(keys.readHeadToken(token)).toEqual(head);
    expect(new ChainKeys(randomBytes(32).toString('hex')).readHeadToken(token)).toBeUndefined();
    expect(keys.readHeadToken(token.replace('.42.', '.41.'))).toBeUndefined();
    expect(keys.readHeadToken(`${token}0`)).toBeUndefined();
    expect(keys.readHeadToken('not a token')).toBeUndefined();
  });

  it('keeps purposes apart: a start marker MAC is not a link or a head MAC', () => {
    const start = { legacy_last_seq: '7', legacy_last_hash: GENESIS_HASH };
    const mac = keys.startMac(start);
    expect(keys.startMacMatches(start, mac)).toBe(true);
    expect(keys.startMacMatches({ ...start, legacy_last_seq: '8' }, mac)).toBe(false);
    expect(keys.startMacMatches(start, mac.slice(1))).toBe(false);
  });
});
