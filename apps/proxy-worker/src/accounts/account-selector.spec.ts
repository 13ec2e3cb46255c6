import { chooseAccount } from './account-selector.js';
import type { PoolAccount } from './pool-account.js';

function account(id: string, fields: Partial<PoolAccount> = {}): PoolAccount {
  return {
    id,
    name: id,
    provider: 'openai',
    baseUrl: 'https://upstream.test/v1',
    models: [],
    weight: 1,
    priority: 0,
    credential: Buffer.from('sk-test'),
    retired: false,
    ...fields,
  };
}

const idle = () => [0, 0, 0];
const none = new Set<string>();

describe('chooseAccount', () => {
  it('skips accounts that are cooling down', () => {
    const accounts = [account('a'), account('b')];
    const choice = chooseAccount(accounts, [5_000, 0], none, idle);
    expect(choice).toEqual({ kind: 'account', account: accounts[1] });
  });

  it('reports the shortest cooldown when every account cools down', () => {
    const accounts = [account('a'), account('b')];
    expect(chooseAccount(accounts, [5_000, 1_200], none, idle)).toEqual({
      kind: 'cooling',
      retryAfterMs: 1_200,
    });
  });

  it('ignores retired accounts, available or cooling', () => {
    const accounts = [account('a', { retired: true }), account('b', { retired: true })];
    expect(chooseAccount(accounts, [0, 300], none, idle)).toEqual({ kind: 'none' });
  });

  it('prefers the highest priority over a lighter load', () => {
    const accounts = [account('low', { priority: 0 }), account('high', { priority: 5 })];
    const choice = chooseAccount(accounts, [0, 0], none, () => [9]);
    expect(choice.kind === 'account' && choice.account.id).toBe('high');
  });

  it('prefers accounts this request has not tried, and allows another go once all were', () => {
    const accounts = [account('a', { priority: 5 }), account('b')];
    const untried = chooseAccount(accounts, [0, 0], new Set(['a']), idle);
    expect(untried.kind === 'account' && untried.account.id).toBe('b');
    const again = chooseAccount(accounts, [0, 0], new Set(['a', 'b']), idle);
    expect(again.kind === 'account' && again.account.id).toBe('a');
  });

  it('takes the least load per unit of weight within a priority', () => {
    const accounts = [account('small', { weight: 1 }), account('big', { weight: 4 })];
    // 2 in flight on weight 1 against 4 in flight on weight 4: big is less loaded.
    const choice = chooseAccount(accounts, [0, 0], none, () => [2, 4]);
    expect(choice.kind === 'account' && choice.account.id).toBe('big');
  });

  it('breaks ties in proportion to weight', () => {
    const accounts = [account('one', { weight: 1 }), account('three', { weight: 3 })];
    const pick = (random: number) => {
      const choice = chooseAccount(
        accounts,
        [0, 0],
        none,
        () => [0, 0],
        () => random,
      );
      return choice.kind === 'account' ? choice.account.id : undefined;
    };
    expect(pick(0)).toBe('one');
    expect(pick(0.24)).toBe('one');
    expect(pick(0.26)).toBe('three');
    expect(pick(0.99)).toBe('three');
  });
});
