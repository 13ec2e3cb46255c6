/** The admin API's shapes, as far as the console reads them. */
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
    | { available: true; waiting_events: number; oldest_waiting_age_ms: number }
    | { available: false; error: string };
};
export type DiskUsage = {
  database: { available: true; name: string; bytes: number } | { available: false; error: string };
  redis:
    | { available: true; used_memory_bytes: number; maxmemory_bytes: number; warning?: string }
    | { available: false; error: string };
  data_directory: { path: string | null; total_bytes: number | null; free_bytes: number | null };
  gateway_filesystem: { path: string; used_percent: number; free_bytes: number } | null;
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
export type UsageCounts = {
  requests: number;
  errors: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
};
export type UsageRow = UsageCounts & { day?: string; key_id?: string; model?: string };
export type UsageReport = { data: UsageRow[]; totals: UsageCounts; truncated: boolean };
export type AuditEvent = {
  seq: string;
  event_id: string;
  type: string;
  at: string;
  actor: string;
  key_id: string | null;
  request: {
    request_id: string | null;
    ip: string | null;
    method: string | null;
    path: string | null;
  } | null;
  data: Record<string, unknown>;
};
