import { ApiKey } from './api-key.entity.js';
import { AsyncJob } from './async-job.entity.js';
import { UpstreamAccount } from './upstream-account.entity.js';

export { ApiKey, AsyncJob, UpstreamAccount };
export type { AsyncJobStatus } from './async-job.entity.js';
export {
  UPSTREAM_ACCOUNT_STATUSES,
  UPSTREAM_PROVIDERS,
  type UpstreamAccountStatus,
  type UpstreamProvider,
} from './upstream-account.entity.js';
export const ENTITIES = [ApiKey, UpstreamAccount, AsyncJob];
