import { z } from 'zod';
import { parseNetwork } from './ip-networks.js';
import { piiPatterns } from './pii-patterns.js';
import { redactPatterns } from './redact-patterns.js';
import { redisNodeList, redisTopologyProblems } from './redis-topology.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const HOST_LABELS =
  /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A host name (one label is fine: compose service names), an IP address, or a CIDR. */
function isHostOrNetwork(entry: string): boolean {
  return (
    parseNetwork(entry) !== undefined ||
    (!entry.includes('/') && entry.length <= 253 && HOST_LABELS.test(entry))
  );
}

/** Access Application Audience tags, comma-separated. */
const audTags = list.pipe(
  z
    .array(z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, 'must list Access AUD tags'))
    .min(1, 'must list at least one Access AUD tag'),
);

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** Variables whose values are secrets: never printed, checked for strength in production. */
export const SECRET_VARIABLES = [
  'ADMIN_API_KEY',
  'KEY_PEPPER',
  'CREDENTIALS_PRIVATE_KEYS',
  'AUDIT_EVENT_KEY',
  'AUDIT_CHAIN_KEY',
  'PII_VAULT_KEY',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
  'POSTGRES_PASSWORD',
  'APP_DB_PASSWORD',
  'GATEWAY_DB_PASSWORD',
  'PROXY_WORKER_DB_PASSWORD',
  'AUDIT_DB_PASSWORD',
  'METRICS_TOKEN',
] as const;
export type SecretVariable = (typeof SECRET_VARIABLES)[number];

/**
 * Every environment variable Gatehouse reads, with its default. Secrets are optional here;
 * which ones an app needs, and how strong they must be, is decided in load-config.ts.
 */
const configShape = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * json: one JSON object per line (always in production); pretty: one readable line per event.
   * Unset: pretty when stdout is a terminal outside production (npm start decides for its apps).
   */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),

  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(3000),

  /**
   * Prometheus metrics on a listener of their own (never the app's port, never routed by nginx).
   * Unset: no metrics listener. 0 picks a free port (tests).
   */
  METRICS_PORT: int(0, 65535).optional(),
  /** Where the metrics listener binds: loopback by default; compose binds its internal network. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** When set, a scrape must send `Authorization: Bearer <token>` (compared in constant time). */
  METRICS_TOKEN: z.string().optional(),

  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/gatehouse'),
  DB_RUN_MIGRATIONS: bool.default(true),
  /**
   * Who logs in, when DATABASE_URL says only where (compose: .env.postgres). The database owner,
   * for migrations (the CLI); each app its own role (connection-credentials.ts).
   */
  APP_DB_USER: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a plain lower-case role name')
    .optional(),
  APP_DB_PASSWORD: z.string().optional(),
  GATEWAY_DB_PASSWORD: z.string().optional(),
  PROXY_WORKER_DB_PASSWORD: z.string().optional(),
  AUDIT_DB_PASSWORD: z.string().optional(),
  /** The Postgres superuser's; operators only. Named so that an app holding it is refused. */
  POSTGRES_PASSWORD: z.string().optional(),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  /** Redis's password, when REDIS_URL carries none (compose: .env.redis, shared with Redis). */
  REDIS_PASSWORD: z.string().optional(),
  /**
   * Redis topology (docs/redis-topologies.md). Unset: the one server at REDIS_URL. Sentinel:
   * the sentinels to ask (`host:port`, port 26379 by default) and the name they monitor the
   * primary under. Cluster: some of its nodes (`host:port`); the rest are discovered. In both,
   * REDIS_URL still gives the login (user, password), TLS (`rediss:`) and, for Sentinel, the db.
   */
  REDIS_SENTINELS: redisNodeList(26379).optional(),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(
      /^[A-Za-z0-9._-]{1,128}$/,
      'must be the name the sentinels monitor (letters, digits, ._-)',
    )
    .optional(),
  /** The sentinels' own password (their requirepass), when they have one. */
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  REDIS_CLUSTER_NODES: redisNodeList(6379).optional(),
  /** Namespace for every Redis key and pub/sub channel of this deployment. */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('gatehouse'),

  ADMIN_API_KEY: z.string().optional(),
  KEY_PEPPER: z.string().optional(),
  /** Signs audit events on the queue (gateway, proxy-worker) and verifies them (audit). */
  AUDIT_EVENT_KEY: z.string().optional(),
  /**
   * Seals the placeholder → original mapping of a masked async job (AES-256-GCM), gateway only.
   * Outside production an unset key is random per start.
   */
  PII_VAULT_KEY: z.string().optional(),
  DEV_SECRETS_FILE: z.string().default('.gatehouse/dev-secrets.json'),
  /** Outside production, generate (once) a credential key pair when none is configured. */
  DEV_CREDENTIAL_KEYS: bool.default(true),

  CORS_ORIGINS: list.default([]),
  TRUSTED_PROXIES: list.default([]),
  MAX_BODY_BYTES: int(1024, 100 * 1024 * 1024).default(1024 * 1024),
  /**
   * Bytes of a stream the gateway holds for one client that reads slower than the upstream
   * sends; beyond them the stream is ended and its upstream call cancelled.
   */
  STREAM_CLIENT_BUFFER_BYTES: int(64 * 1024, 256 * 1024 * 1024).default(1024 * 1024),

  RATE_LIMIT_KEY_PER_MIN: int(1, 1_000_000).default(600),
  RATE_LIMIT_IP_PER_MIN: int(1, 1_000_000).default(1200),
  AUTH_FAILURE_LIMIT: int(1, 1_000_000).default(10),
  AUTH_FAILURE_WINDOW_SECONDS: int(1, 86_400).default(300),
  AUTH_LOCKOUT_SECONDS: int(1, 86_400).default(900),
  /** Serve the operator console at /console/ and accept its session on the admin API. */
  CONSOLE_ENABLED: bool.default(true),
  /** A console session ends after this long without a request (minutes). */
  CONSOLE_SESSION_IDLE_MINUTES: int(1, 24 * 60).default(15),
  /** A console session ends this long after sign-in, however busy (hours). */
  CONSOLE_SESSION_MAX_HOURS: int(1, 7 * 24).default(8),
  /** How long a verified key stays cached; revocations also invalidate it over pub/sub. */
  AUTH_CACHE_TTL_MS: int(0, 300_000).default(10_000),
  RATE_LIMIT_JOBS_PER_MIN: int(1, 1_000_000).default(10),
  /** Async job submissions per client IP per minute, whatever keys it uses. */
  RATE_LIMIT_JOBS_PER_IP_PER_MIN: int(1, 1_000_000).default(60),
  /** Proxied requests one key may have in flight at once (all replicas); a key may set its own. */
  KEY_MAX_CONCURRENT: int(1, 100_000).default(256),
  /** Proxied streams open at once from one client address (IPv6: its /64), all replicas. */
  STREAMS_MAX_PER_IP: int(1, 100_000).default(128),
  /**
   * Output tokens reserved for a request that sets no max_tokens on a key with a token or cost
   * budget; the gateway then sends this cap upstream, so the reservation holds.
   */
  BUDGET_DEFAULT_MAX_TOKENS: int(1, 1_000_000).default(4_096),
  /** How often each gateway gives back budget reservations whose request never settled. */
  BUDGET_RECONCILE_INTERVAL_MS: int(100, 3_600_000).default(15_000),

  /** `kid:base64url(SPKI DER)` of the X25519 key that seals upstream credentials (gateway). */
  CREDENTIALS_PUBLIC_KEY: z.string().optional(),
  /** Comma list of `kid:base64url(PKCS8 DER)`: the keyring that opens them (proxy-worker only). */
  CREDENTIALS_PRIVATE_KEYS: z.string().optional(),

  /**
   * Upstream calls one proxy-worker keeps in flight. Sized for I/O (an LLM call waits seconds),
   * bounded by memory: an in-flight non-stream call holds its job, its socket and up to
   * UPSTREAM_MAX_RESPONSE_BYTES of response (docs/deploy.md, "Sizing the proxy-worker").
   */
  PROXY_WORKER_CONCURRENCY: int(1, 10_000).default(1024),
  /** How long a worker holds a job before another may take it over (worker crash recovery). */
  PROXY_JOB_LOCK_MS: int(1_000, 600_000).default(30_000),
  UPSTREAM_MAX_ATTEMPTS: int(1, 10).default(3),
  UPSTREAM_CONNECT_TIMEOUT_MS: int(100, 120_000).default(5_000),
  /**
   * Let the worker connect to upstreams on loopback, private, link-local and other non-public
   * addresses (refused by default: an account must not reach Redis, Postgres or a metadata
   * service). For a local model server prefer UPSTREAM_ALLOWED_HOSTS.
   */
  UPSTREAM_ALLOW_PRIVATE: bool.default(false),
  /** Host names, addresses or CIDRs the worker may reach even when they are not public. */
  UPSTREAM_ALLOWED_HOSTS: list.default([]).pipe(
    z.array(
      z.string().refine(isHostOrNetwork, {
        message: 'entries must be host names, IP addresses or CIDRs (e.g. 10.0.0.0/8)',
      }),
    ),
  ),
  UPSTREAM_FIRST_BYTE_TIMEOUT_MS: int(100, 600_000).default(60_000),
  UPSTREAM_TOTAL_TIMEOUT_MS: int(100, 3_600_000).default(300_000),
  UPSTREAM_MAX_RESPONSE_BYTES: int(1024, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
  /** Seconds an account rests after a 429 that named no reset time. */
  UPSTREAM_DEFAULT_COOLDOWN_SECONDS: int(1, 3600).default(30),

  /**
   * The audit app's own secret (and nobody else's): it keys the audit chain's HMAC links, the
   * chain start marker and the signed heads, so whoever can write the database but does not hold
   * it cannot forge a record that verifies.
   */
  AUDIT_CHAIN_KEY: z.string().optional(),

  /** Store request/response bodies in audit records (capped, redacted). Off by default. */
  AUDIT_CAPTURE_BODIES: bool.default(false),
  AUDIT_BODY_MAX_BYTES: int(256, 10 * 1024 * 1024).default(16 * 1024),
  AUDIT_RETENTION_DAYS: int(1, 36_500).default(90),
  AUDIT_BODY_RETENTION_DAYS: int(1, 36_500).default(7),
  /** Extra secret patterns (a JSON array of regular expressions) redacted from audit records. */
  AUDIT_REDACT_PATTERNS: redactPatterns.default([]),
  /** What a key without a pii_policy of its own does with personal data in prompts. */
  PII_DEFAULT_POLICY: z.enum(['off', 'mask', 'block']).default('mask'),
  /** Operator patterns masked like the built-in entities: `[{"name":…,"pattern":…}]`. */
  PII_CUSTOM_PATTERNS: piiPatterns.default([]),
  /** Exact terms (names, code names) masked case-insensitively as whole words, comma-separated. */
  PII_TERMS: list.default([]),
  /** Share of successful authentications recorded as auth.ok (0 = none, 1 = all). */
  AUDIT_AUTH_OK_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0),
  AUDIT_BATCH_SIZE: int(1, 10_000).default(500),
  AUDIT_BATCH_WAIT_MS: int(1, 60_000).default(200),
  /** When the retention job runs (cron, UTC). */
  AUDIT_RETENTION_CRON: z.string().min(9).default('17 3 * * *'),

  JOB_RESULT_TTL_HOURS: int(1, 24 * 365).default(24),
  JOB_RESULT_MAX_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),

  /**
   * Cloudflare Access team domain (`myteam.cloudflareaccess.com`). Together with CF_ACCESS_AUD and
   * CF_ACCESS_ADMIN_AUD it makes the gateway require a valid `Cf-Access-Jwt-Assertion` on every
   * request but /health and /ready. Set all three or none.
   */
  CF_ACCESS_TEAM_DOMAIN: z
    .string()
    .transform((v) =>
      v
        .trim()
        .replace(/^https:\/\//i, '')
        .replace(/\/+$/, '')
        .toLowerCase(),
    )
    .pipe(z.string().regex(HOSTNAME, 'must be a host name such as myteam.cloudflareaccess.com'))
    .optional(),
  /**
   * The Application Audience (AUD) tag of the Access application in front of the client API
   * (comma-separated if several are). A token on any path but the admin ones must be meant for
   * one of them.
   */
  CF_ACCESS_AUD: audTags.optional(),
  /**
   * The AUD tag of the stricter Access application on the admin paths (/api/v1/admin,
   * /admin/queues), comma-separated if several are. Those paths accept only tokens meant for one
   * of these, so a token of the client API's application cannot reach them, nor the reverse.
   */
  CF_ACCESS_ADMIN_AUD: audTags.optional(),
  /**
   * Tests only, refused in production: where the Access signing keys are fetched from instead of
   * `https://<CF_ACCESS_TEAM_DOMAIN>/cdn-cgi/access/certs`.
   */
  CF_ACCESS_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * Where the gateway gets Access signing keys: `direct` (it fetches them itself) or `relay`
   * (proxy-worker, the app with a route out, fetches them and shares them over Redis — for a
   * gateway on a network with no route to the internet, as in compose).
   */
  CF_ACCESS_JWKS_SOURCE: z.enum(['direct', 'relay']).default('direct'),
});

/** The schema plus the rules that span variables. */
export const configSchema = configShape.superRefine((c, ctx) => {
  for (const [variable, message] of redisTopologyProblems(c)) {
    ctx.addIssue({ code: 'custom', path: [variable], message });
  }
  // Access is all or nothing: with only the client application's tag the admin paths would have
  // no application of their own, and refusing them all would look like an outage.
  const access = ['CF_ACCESS_TEAM_DOMAIN', 'CF_ACCESS_AUD', 'CF_ACCESS_ADMIN_AUD'] as const;
  const missing = access.filter((name) => !c[name]);
  if (missing.length > 0 && missing.length < access.length) {
    ctx.addIssue({
      code: 'custom',
      path: [missing[0]],
      message:
        'CF_ACCESS_TEAM_DOMAIN, CF_ACCESS_AUD and CF_ACCESS_ADMIN_AUD are set together or not at all',
    });
  }
  // A tag in both lists would let that application's tokens through on both kinds of path.
  const shared = c.CF_ACCESS_ADMIN_AUD?.filter((tag) => c.CF_ACCESS_AUD?.includes(tag)) ?? [];
  if (shared.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['CF_ACCESS_ADMIN_AUD'],
      message:
        'must not share an AUD tag with CF_ACCESS_AUD: the admin paths need an Access application of their own',
    });
  }
  // The scrape port must not collide with the API's: one of the two would fail to start, or
  // worse, the metrics would be served where clients reach.
  if (c.METRICS_PORT !== undefined && c.METRICS_PORT !== 0 && c.METRICS_PORT === c.PORT) {
    ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from PORT' });
  }
  if (c.METRICS_TOKEN !== undefined && c.METRICS_PORT === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['METRICS_TOKEN'],
      message: 'has no effect without METRICS_PORT',
    });
  }
  if (c.CF_ACCESS_JWKS_URL !== undefined && c.NODE_ENV === 'production') {
    ctx.addIssue({
      code: 'custom',
      path: ['CF_ACCESS_JWKS_URL'],
      message: 'is for tests only and refused in production',
    });
  } else if (c.CF_ACCESS_JWKS_URL !== undefined && !c.CF_ACCESS_TEAM_DOMAIN) {
    ctx.addIssue({
      code: 'custom',
      path: ['CF_ACCESS_JWKS_URL'],
      message: 'has no effect without CF_ACCESS_TEAM_DOMAIN, CF_ACCESS_AUD and CF_ACCESS_ADMIN_AUD',
    });
  }
});

export type RawConfig = z.infer<typeof configSchema>;

export type AppName = 'gateway' | 'proxy-worker' | 'audit' | 'cli';

/** The validated configuration every app receives. Secrets needed by the app are present. */
export type AppConfig = Omit<RawConfig, 'ADMIN_API_KEY' | 'KEY_PEPPER'> & {
  ADMIN_API_KEY: string;
  KEY_PEPPER: string;
};
