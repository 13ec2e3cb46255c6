/**
 * The admin API's shapes. Imported type-only from the gateway where its type lives in a file
 * with no server imports (erased from the bundle); redeclared, as far as the console reads
 * them, where the gateway's type sits among server code the console's check cannot compile:
 * SystemHealth (keyed by @gatehouse/queue's QueueName), Key (@gatehouse/budgets and
 * @gatehouse/db), Account (account-view.ts imports @gatehouse/db) and ChainVerification
 * (VerifyResult, in libs/queue).
 */
export type { AuditEventView as AuditEvent } from '../../gateway/src/audit-admin/audit-view';
export type { DiskUsage } from '../../gateway/src/system/disk-usage-view';
export type {
  UsageCounts,
  UsageGroup as UsageRow,
  UsageReport,
} from '../../gateway/src/usage/usage-view';

export type Dependency = {
  up: boolean;
  latency_ms: number | null;
  version?: string;
  error?: string;
};
export type QueueHealth =
  | {
      available: true;
      waiting: number;
      prioritized: number;
      active: number;
      delayed: number;
      failed: number;
      paused: boolean | null;
      workers: number | null;
    }
  | { available: false; error: string };
export type SystemHealth = {
  status: 'ok' | 'degraded';
  checked_at: string;
  postgres: Dependency;
  redis: Dependency;
  queues: Record<string, QueueHealth>;
  audit_lag:
    | { available: true; waiting_jobs: number; oldest_waiting_age_ms: number }
    | { available: false; error: string };
};
export type ChainVerification = {
  ok: boolean;
  problem: string | null;
  first_broken_seq?: string;
  first_broken_event_id?: string;
  checked: number;
  last_seq: string | null;
};
export type Key = {
  id: string;
  name: string | null;
  prefix: string;
  allowed_models: string[];
  requests_per_minute: number | null;
  tokens_per_day: number | null;
  cost_per_day: number | null;
  cost_per_month: number | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  previous_secret_expires_at: string | null;
  status: 'active' | 'expired' | 'revoked';
  created_at: string;
};
export type KeyWithSecret = Key & { key: string };
export type Account = {
  id: string;
  name: string;
  provider: 'openai' | 'anthropic';
  base_url: string;
  models: string[];
  weight: number;
  priority: number;
  status: 'active' | 'paused';
  /** When a rate-limit cooldown ends; null: none. */
  cooldown_until?: string | null;
  created_at: string;
};
