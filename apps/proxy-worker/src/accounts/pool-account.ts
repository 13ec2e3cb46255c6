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
  credential: string;
};
