import type { ProviderName } from '@gatehouse/providers';

/** An active upstream account as the worker uses it: credential opened, in memory only. */
export type PoolAccount = {
  id: string;
  name: string;
  provider: ProviderName;
  baseUrl: string;
  /** Empty: serves any model. */
  models: string[];
  weight: number;
  priority: number;
  /**
   * The opened credential (UTF-8). The pool zeroes it when the account is changed, paused,
   * deleted or re-read with another credential; from then on `retired` is true and the account
   * must not be used (a request that chose it earlier asks for another one).
   */
  credential: Buffer;
  retired: boolean;
};
