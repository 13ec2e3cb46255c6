import { ChainKeys } from '@gatehouse/audit';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import type { Provider } from '@nestjs/common';

/** The audit app's keys, derived once from AUDIT_CHAIN_KEY (config loading requires it here). */
export const CHAIN_KEYS_PROVIDER: Provider = {
  provide: ChainKeys,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => {
    if (!config.AUDIT_CHAIN_KEY) throw new Error('AUDIT_CHAIN_KEY is required by the audit app');
    return new ChainKeys(config.AUDIT_CHAIN_KEY);
  },
};
