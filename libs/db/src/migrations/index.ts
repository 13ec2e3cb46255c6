import { CreateApiKeys1763900000000 } from './1763900000000-create-api-keys.js';
import { CreateUpstreamAccounts1763900001000 } from './1763900001000-create-upstream-accounts.js';
import { CreateJobs1763900002000 } from './1763900002000-create-jobs.js';
import { CreateAudit1763900003000 } from './1763900003000-create-audit.js';
import { AddKeyMaxConcurrent1764800000000 } from './1764800000000-add-key-max-concurrent.js';
import { AcceptBoundCredentials1764800001000 } from './1764800001000-accept-bound-credentials.js';
import { AuditRolesAndKeyedChain1765000000000 } from './1765000000000-audit-roles-and-keyed-chain.js';
import { AddKeyAllowedIps1765100000000 } from './1765100000000-add-key-allowed-ips.js';
import { CreateModelPrices1765200000000 } from './1765200000000-create-model-prices.js';
import { AddUsageCost1765200001000 } from './1765200001000-add-usage-cost.js';
import { AddKeyBudgets1765200002000 } from './1765200002000-add-key-budgets.js';
import { AddPiiColumns1765300000000 } from './1765300000000-add-pii-columns.js';

/** Every migration, oldest first. Listed explicitly: ESM builds cannot glob-load classes. */
export const MIGRATIONS = [
  CreateApiKeys1763900000000,
  CreateUpstreamAccounts1763900001000,
  CreateJobs1763900002000,
  CreateAudit1763900003000,
  AddKeyMaxConcurrent1764800000000,
  AcceptBoundCredentials1764800001000,
  AuditRolesAndKeyedChain1765000000000,
  AddKeyAllowedIps1765100000000,
  CreateModelPrices1765200000000,
  AddUsageCost1765200001000,
  AddKeyBudgets1765200002000,
  AddPiiColumns1765300000000,
];
