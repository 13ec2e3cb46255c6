import { ApiKey } from './api-key.entity.js';
import { AsyncJob } from './async-job.entity.js';
import { AuditCheckpoint } from './audit-checkpoint.entity.js';
import { AuditDeadLetter } from './audit-dead-letter.entity.js';
import { AuditEventRow } from './audit-event.entity.js';
import { ModelPriceOverride } from './model-price-override.entity.js';
import { UsageDaily } from './usage-daily.entity.js';
import { UpstreamAccount } from './upstream-account.entity.js';

export {
  ApiKey,
  AsyncJob,
  AuditCheckpoint,
  AuditDeadLetter,
  AuditEventRow,
  ModelPriceOverride,
  UpstreamAccount,
  UsageDaily,
};
export type { AsyncJobStatus } from './async-job.entity.js';
export {
  UPSTREAM_ACCOUNT_STATUSES,
  UPSTREAM_PROVIDERS,
  type UpstreamAccountStatus,
  type UpstreamProvider,
} from './upstream-account.entity.js';
export const ENTITIES = [
  ApiKey,
  UpstreamAccount,
  AsyncJob,
  AuditEventRow,
  AuditCheckpoint,
  AuditDeadLetter,
  UsageDaily,
  ModelPriceOverride,
];
