import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { APP_DB_ROLES, configSchema, loadConfig, REMOVED_VARIABLE_NAMES } from '@gatehouse/config';
import { generateCredentialKeyPair } from '@gatehouse/crypto';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { freePort, type SpawnedApp, spawnApp, spawnGateway, waitFor } from './support/spawn-app.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * The deployment artifacts, checked without a Docker engine: the Dockerfile's install (no
 * dependency install scripts), docker-compose.yml's isolation and hardening rules,
 * .env.production.example against the config schema, the container health check and heartbeat,
 * Redis as compose runs it, and the gateway's warning about a Redis that may evict keys. Needs
 * `npm run build` (spawns dist/), Postgres and redis-server.
 */

const ROOT = resolve(import.meta.dirname, '..');

type Service = {
  image?: string;
  build?: unknown;
  ports?: unknown[];
  entrypoint?: string[] | string;
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | string[];
  privileged?: boolean;
  read_only?: boolean;
  security_opt?: string[];
  cap_drop?: string[];
  cap_add?: string[];
  restart?: string;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string; restart?: boolean }> | string[];
  profiles?: string[];
  user?: string;
  command?: string[] | string;
  volumes?: string[];
  tmpfs?: string[];
  network_mode?: string;
  pid?: string;
  ipc?: string;
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
};
type Compose = {
  services: Record<string, Service>;
  networks: Record<
    string,
    { internal?: boolean; ipam?: { config?: { subnet?: string; ip_range?: string }[] } }
  >;
  volumes?: Record<string, unknown>;
};

const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const dockerfileText = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const compose = parse(composeText, { merge: true }) as Compose;
const services = compose.services;
const serviceNames = Object.keys(services);
/** The env files compose reads, each from its committed example. */
const ENV_FILES = ['.env.production', '.env.postgres', '.env.redis', '.env.tunnel'] as const;
const exampleTexts = Object.fromEntries(
  ENV_FILES.map((file) => [file, readFileSync(join(ROOT, `${file}.example`), 'utf8')]),
) as Record<(typeof ENV_FILES)[number], string>;
const exampleText = Object.values(exampleTexts).join('\n');

const EXPECTED_SERVICES = [
  'audit',
  'cloudflared',
  'gateway',
  'grafana',
  'migrate',
  'nginx',
  'postgres',
  'prometheus',
  'proxy-worker',
  'redis',
  'tools',
];
/**
 * cloudflared's image has no shell or HTTP client to probe with (restart covers crashes);
 * migrate and tools run once and exit.
 */
const NO_HEALTHCHECK = ['cloudflared', 'migrate', 'tools'];
const ONE_OFF = ['migrate', 'tools'];
const APPS = ['gateway', 'proxy-worker', 'audit'] as const;
const SECRET_NAME = /(_KEYS?$|PASSWORD|SECRET|TOKEN|PEPPER)/;

function environmentOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const i = entry.indexOf('=');
        return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function networksOf(service: Service): string[] {
  const nets = service.networks ?? [];
  return Array.isArray(nets) ? nets : Object.keys(nets);
}

function membersOf(network: string): string[] {
  return serviceNames.filter((name) => networksOf(services[name]).includes(network)).sort();
}

/** Active `NAME=value` lines of the examples (of all of them, or of the given text). */
function exampleValues(text = exampleText): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

function envFilesOf(service: Service): string[] {
  const files = service.env_file ?? [];
  return Array.isArray(files) ? files : [files];
}

/**
 * What a service's process sees, as compose builds it: its env files in order (by default the
 * committed examples; `read` gives another file's text), then its own `environment` over them;
 * blanked (empty) variables count as unset.
 */
function effectiveEnv(
  service: Service,
  read: (file: string) => string = (file) => exampleTexts[file as (typeof ENV_FILES)[number]],
): Record<string, string> {
  const fromFiles = Object.assign(
    {},
    ...envFilesOf(service).map((file) => exampleValues(read(file))),
  ) as Record<string, string>;
  const merged = { ...fromFiles, ...environmentOf(service) };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== ''));
}

/** Every variable the example names, set or commented out (`# NAME=value`). */
function exampleVariables(): string[] {
  return [...exampleText.matchAll(/^(?:#\s*)?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
}

type Run = { code: number | null; out: string };

function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 15_000,
  cwd = ROOT,
): Promise<Run> {
  return new Promise((res, rej) => {
    const child = spawn(command, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', rej);
    child.once('exit', (code) => {
      clearTimeout(timer);
      res({ code, out });
    });
  });
}

const healthcheck = (args: string[], env: Record<string, string>): Promise<Run> =>
  run(process.execPath, ['dist/scripts/healthcheck.js', ...args], env);

describe('the Dockerfile', () => {
  it('installs dependencies without their install scripts (its npm ignores allowScripts)', () => {
    const installs = [...dockerfileText.matchAll(/\bnpm (?:ci|install|i)\b[^\n]*/g)].map(
      (m) => m[0],
    );
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) {
      expect(install).toMatch(/ --ignore-scripts\b/);
    }
  });

  it('leaves no dependency with an install script unreviewed in allowScripts', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.length).toBeGreaterThan(0);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      allowScripts?: Record<string, boolean>;
    };
    const reviewed = Object.keys(manifest.allowScripts ?? {});
    expect(withScripts.filter((name) => !reviewed.includes(name))).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  it('has exactly the expected services', () => {
    expect(serviceNames.sort()).toEqual(EXPECTED_SERVICES);
  });

  it('publishes a port only from nginx, and only on loopback', () => {
    const publishing = serviceNames.filter((name) => (services[name].ports ?? []).length > 0);
    expect(publishing).toEqual(['nginx']);
    const ports = services.nginx.ports ?? [];
    expect(ports).toEqual(['127.0.0.1:${HTTP_PORT:-80}:8080']);
    for (const name of serviceNames) {
      expect([name, services[name].network_mode]).toEqual([name, undefined]);
      expect([name, services[name].pid, services[name].ipc]).toEqual([name, undefined, undefined]);
    }
  });

  it('keeps internal without a route out, and egress for proxy-worker alone', () => {
    expect(Object.keys(compose.networks).sort()).toEqual(['edge', 'egress', 'internal']);
    expect(compose.networks.internal.internal).toBe(true);
    expect(compose.networks.edge.internal).not.toBe(true);
    expect(membersOf('egress')).toEqual(['proxy-worker']);
    expect(membersOf('edge')).toEqual(['cloudflared', 'nginx']);
    expect(membersOf('internal')).toEqual([
      'audit',
      'gateway',
      'grafana',
      'migrate',
      'nginx',
      'postgres',
      'prometheus',
      'proxy-worker',
      'redis',
      'tools',
    ]);
    for (const name of [
      'gateway',
      'audit',
      'postgres',
      'redis',
      'migrate',
      'tools',
      'prometheus',
      'grafana',
    ]) {
      expect([name, networksOf(services[name])]).toEqual([name, ['internal']]);
    }
  });

  it('lets the gateway trust forwarding headers from nginx alone', () => {
    const nets = services.nginx.networks as Record<string, { ipv4_address?: string }>;
    const nginxAddress = nets.internal.ipv4_address;
    expect(nginxAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const internalSubnet = compose.networks.internal.ipam?.config?.[0]?.subnet ?? '';
    expect(nginxAddress?.startsWith(internalSubnet.split('.').slice(0, 3).join('.') + '.')).toBe(
      true,
    );
    expect(environmentOf(services.gateway).TRUSTED_PROXIES).toBe(nginxAddress);
    // Docker hands out automatic addresses from ip_range: nginx's must lie outside it, or
    // another container started first could take the trusted address.
    const range = compose.networks.internal.ipam?.config?.[0]?.ip_range ?? '';
    const [rangeBase = '', rangeBits = '32'] = range.split('/');
    const toInt = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
    const size = 2 ** (32 - Number(rangeBits));
    const offset = toInt(nginxAddress ?? '') - toInt(rangeBase);
    expect(range).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
    expect(offset >= 0 && offset < size).toBe(false);
    expect(environmentOf(services.gateway).HOST).toBe('0.0.0.0');
    expect(environmentOf(services.gateway).PORT).toBe('3000');
  });

  it('gives nginx what its template needs, matching the edge network and the body cap', () => {
    const env = environmentOf(services.nginx);
    const template = readFileSync(join(ROOT, 'nginx/templates/gatehouse.conf.template'), 'utf8');
    const templateVars = [...new Set([...template.matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]))];
    expect(templateVars.length).toBeGreaterThan(0);
    for (const name of templateVars)
      expect([name, env[name] ?? 'missing']).not.toEqual([name, 'missing']);
    expect(env.GATEWAY_UPSTREAM).toBe('gateway:3000');
    // Docker's embedded DNS, so nginx follows a recreated gateway to its new address.
    expect(env.NGINX_RESOLVER).toBe('127.0.0.11');
    expect(env.NGINX_LISTEN).toBe('8080');
    expect(env.REAL_IP_FROM).toBe(compose.networks.edge.ipam?.config?.[0]?.subnet);
    const size = /^(\d+)([km]?)$/.exec(env.MAX_BODY_SIZE ?? '');
    expect(size).not.toBeNull();
    const bytes = Number(size?.[1]) * ({ '': 1, k: 1024, m: 1024 * 1024 }[size?.[2] ?? ''] ?? 0);
    expect(bytes).toBe(Number(exampleValues().MAX_BODY_BYTES));
    expect(services.nginx.volumes).toContain('./nginx/templates:/etc/nginx/templates:ro');
    expect((services.nginx.tmpfs ?? []).some((t) => t.startsWith('/etc/nginx/conf.d:'))).toBe(true);
    // nginx needs no secret at all.
    expect(services.nginx.env_file).toBeUndefined();
  });

  it('hardens every service', () => {
    for (const name of serviceNames) {
      const s = services[name];
      const summary = {
        name,
        privileged: s.privileged ?? false,
        read_only: s.read_only,
        noNewPrivileges: (s.security_opt ?? []).includes('no-new-privileges:true'),
        capDrop: s.cap_drop,
        capAdd: s.cap_add ?? [],
        restart: ONE_OFF.includes(name) ? `one-off ${s.restart}` : s.restart,
        root: s.user === 'root' || s.user === '0' || s.user?.startsWith('0:') === true,
        hasLimits: Boolean(s.deploy?.resources?.limits?.memory && s.deploy.resources.limits.cpus),
      };
      expect(summary).toEqual({
        name,
        privileged: false,
        read_only: true,
        noNewPrivileges: true,
        capDrop: ['ALL'],
        capAdd: [],
        restart: ONE_OFF.includes(name) ? 'one-off no' : 'unless-stopped',
        root: false,
        hasLimits: true,
      });
    }
    // Services whose images start as root are told to run as their unprivileged user.
    for (const name of [...APPS, ...ONE_OFF, 'postgres', 'redis']) {
      expect([name, services[name].user]).toEqual([name, expect.stringMatching(/^[a-z]+$/)]);
    }
  });

  it('health-checks every service except the listed exceptions, and waits on health', () => {
    for (const name of serviceNames) {
      const hc = services[name].healthcheck;
      if (NO_HEALTHCHECK.includes(name)) {
        expect([name, hc?.disable]).toEqual([name, true]);
      } else {
        expect([name, Array.isArray(hc?.test) && hc.test.length > 1]).toEqual([name, true]);
      }
      const deps = services[name].depends_on ?? {};
      expect([name, Array.isArray(deps)]).toEqual([name, false]);
      for (const [dep, cond] of Object.entries(deps)) {
        // A one-off is waited for until it has succeeded; every other service until healthy.
        const expected = ONE_OFF.includes(dep)
          ? 'service_completed_successfully'
          : 'service_healthy';
        expect([name, dep, cond.condition]).toEqual([name, dep, expected]);
        expect([...NO_HEALTHCHECK.filter((n) => !ONE_OFF.includes(n))]).not.toContain(dep);
      }
    }
    for (const app of APPS) {
      expect(Object.keys(services[app].depends_on ?? {}).sort()).toEqual([
        'migrate',
        'postgres',
        'redis',
      ]);
      // The apps never migrate: their roles may not change the schema.
      expect(environmentOf(services[app]).DB_RUN_MIGRATIONS).toBe('false');
      expect(services[app].healthcheck?.test).toEqual([
        'CMD',
        'node',
        'dist/scripts/healthcheck.js',
        app,
      ]);
      expect(services[app].command).toEqual([`dist/apps/${app}/src/main.js`]);
      expect(environmentOf(services[app]).NODE_ENV).toBe('production');
    }
    expect(services.nginx.depends_on).toEqual({
      gateway: { condition: 'service_healthy', restart: true },
    });
    for (const name of ONE_OFF) {
      expect([name, services[name].depends_on]).toEqual([
        name,
        { postgres: { condition: 'service_healthy' } },
      ]);
      expect(services[name].command).toEqual(['dist/scripts/prepare-database.js']);
    }
  });

  it('starts cloudflared only with the tunnel profile, and tools never with `up`', () => {
    const profiled = serviceNames.filter((name) => services[name].profiles !== undefined);
    expect(profiled.sort()).toEqual(['cloudflared', 'grafana', 'prometheus', 'tools']);
    expect(services.prometheus.profiles).toEqual(['monitoring']);
    expect(services.grafana.profiles).toEqual(['monitoring']);
    expect(services.cloudflared.profiles).toEqual(['tunnel']);
    expect(services.tools.profiles).toEqual(['tools']);
  });

  it('gives each service only the env files it needs', () => {
    const files = Object.fromEntries(
      serviceNames.map((name) => [name, envFilesOf(services[name])]),
    );
    const app = ['.env.production', '.env.postgres', '.env.redis'];
    expect(files).toEqual({
      gateway: app,
      'proxy-worker': app,
      audit: app,
      migrate: ['.env.production', '.env.postgres'],
      tools: ['.env.production', '.env.postgres'],
      postgres: ['.env.postgres'],
      redis: ['.env.redis'],
      cloudflared: ['.env.tunnel'],
      nginx: [],
      prometheus: [],
      grafana: [],
    });
  });

  it('serves metrics on the internal network only, scraped by the monitoring profile', () => {
    for (const app of APPS) {
      const env = environmentOf(services[app]);
      expect([app, env.METRICS_PORT, env.METRICS_HOST]).toEqual([app, '9464', '0.0.0.0']);
      expect([app, services[app].ports]).toEqual([app, undefined]);
    }
    for (const name of ['prometheus', 'grafana']) {
      // Pinned images, configuration read-only from deploy/monitoring, nothing published.
      expect([name, services[name].image]).toEqual([
        name,
        expect.stringMatching(/:v?\d+\.\d+\.\d+$/),
      ]);
      const mounts = (services[name].volumes ?? []).filter((v) => v.startsWith('./'));
      expect(mounts.length).toBeGreaterThan(0);
      for (const mount of mounts) {
        expect([name, mount]).toEqual([
          name,
          expect.stringMatching(/^\.\/deploy\/monitoring\/.+:ro$/),
        ]);
      }
    }
    // Grafana is read-only with no sign-in (so no default admin password to guess).
    expect(environmentOf(services.grafana)).toMatchObject({
      GF_AUTH_DISABLE_LOGIN_FORM: 'true',
      GF_AUTH_BASIC_ENABLED: 'false',
      GF_AUTH_ANONYMOUS_ENABLED: 'true',
      GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
    });
    expect(environmentOf(services.grafana).GF_SECURITY_ADMIN_PASSWORD).toBeUndefined();
    // nginx knows the gateway's API port only.
    expect(environmentOf(services.nginx).GATEWAY_UPSTREAM).toBe('gateway:3000');
    const scrape = readFileSync(join(ROOT, 'deploy/monitoring/prometheus.yml'), 'utf8');
    expect(scrape).toMatch(/names: \[gateway, proxy-worker, audit\]/);
    expect(scrape).toMatch(/port: 9464/);
    const dashboard = JSON.parse(
      readFileSync(join(ROOT, 'deploy/monitoring/grafana/dashboards/gatehouse.json'), 'utf8'),
    ) as { panels: { targets: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    for (const name of [
      'gatehouse_http_requests_total',
      'gatehouse_gateway_overhead_seconds',
      'gatehouse_admission_rejections_total',
      'gatehouse_upstream_first_byte_seconds',
      'gatehouse_queue_jobs',
      'gatehouse_audit_lag_seconds',
    ]) {
      expect(exprs).toContain(name);
    }
  });

  it('leaves each secret with exactly the services that use it', () => {
    const holders = (secret: string) =>
      serviceNames.filter((name) => effectiveEnv(services[name])[secret] !== undefined).sort();
    const secrets = Object.keys(exampleValues()).filter((name) => SECRET_NAME.test(name));
    expect(Object.fromEntries(secrets.map((name) => [name, holders(name)]))).toEqual({
      ADMIN_API_KEY: ['gateway'],
      KEY_PEPPER: ['gateway'],
      PII_VAULT_KEY: ['gateway'],
      AUDIT_EVENT_KEY: ['audit', 'gateway', 'proxy-worker'],
      AUDIT_CHAIN_KEY: ['audit'],
      // The public key is no secret; tools seals with it when resealing.
      CREDENTIALS_PUBLIC_KEY: ['audit', 'gateway', 'migrate', 'proxy-worker', 'tools'],
      CREDENTIALS_PRIVATE_KEYS: ['proxy-worker', 'tools'],
      POSTGRES_PASSWORD: ['postgres'],
      APP_DB_PASSWORD: ['migrate', 'postgres', 'tools'],
      GATEWAY_DB_PASSWORD: ['gateway', 'postgres'],
      PROXY_WORKER_DB_PASSWORD: ['postgres', 'proxy-worker'],
      AUDIT_DB_PASSWORD: ['audit', 'postgres'],
      REDIS_PASSWORD: ['audit', 'gateway', 'proxy-worker', 'redis'],
      TUNNEL_TOKEN: ['cloudflared'],
    });
  });

  it('holds no secret literal: secrets come only from the env files', () => {
    for (const name of serviceNames) {
      for (const [key, value] of Object.entries(environmentOf(services[name]))) {
        if (SECRET_NAME.test(key)) expect([name, key, value]).toEqual([name, key, '']);
      }
    }
    expect(composeText).not.toMatch(/\bsk-[A-Za-z0-9_-]{6,}/);
    expect(composeText).not.toMatch(/\bgk_[A-Za-z0-9]/);
    expect(composeText).not.toMatch(/\b[0-9a-f]{32,}\b/i);
    expect(composeText).not.toMatch(/change-me-/);
    expect(composeText).not.toMatch(/PGPASSWORD=/);
    // Compose interpolation only for the published port, never for a secret.
    const interpolated = [...composeText.matchAll(/(?<!\$)\$\{([A-Z_]+)/g)].map((m) => m[1]);
    expect([...new Set(interpolated)]).toEqual(['HTTP_PORT']);
  });

  it('runs redis with a password, AOF and noeviction, probed via REDISCLI_AUTH', () => {
    const command = services.redis.command;
    const text = Array.isArray(command) ? command.join(' ') : (command ?? '');
    expect(text).toContain('--requirepass "$$REDIS_PASSWORD"');
    expect(text).toContain('--appendonly yes');
    expect(text).toContain('--maxmemory-policy noeviction');
    const test = services.redis.healthcheck?.test ?? [];
    const probe = Array.isArray(test) ? test.join(' ') : test;
    expect(probe).toContain('REDISCLI_AUTH=');
    expect(probe).not.toMatch(/redis-cli[^|]*\s-a\s/);
    expect(services.redis.volumes).toEqual(['redis-data:/data']);
  });

  it('initialises postgres with the non-superuser application role', () => {
    expect(services.postgres.image).toBe('postgres:16-alpine');
    const mount = (services.postgres.volumes ?? []).find((v) => v.includes('init-app-role.sh'));
    expect(mount).toBe(
      './deploy/postgres/init-app-role.sh:/docker-entrypoint-initdb.d/10-init-app-role.sh:ro',
    );
    accessSync(join(ROOT, 'deploy/postgres/init-app-role.sh'), constants.X_OK);
    // The passwords are checked before the image's entrypoint, on every start.
    expect(services.postgres.entrypoint).toEqual(['/gatehouse/entrypoint.sh']);
    expect(services.postgres.command).toEqual(['postgres']);
    for (const file of ['entrypoint.sh', 'check-db-secrets.sh', 'app-roles.sh']) {
      expect(services.postgres.volumes).toContain(
        `./deploy/postgres/${file}:/gatehouse/${file}:ro`,
      );
      accessSync(join(ROOT, 'deploy/postgres', file), constants.X_OK);
    }
    expect(services.postgres.volumes).toContain('postgres-data:/var/lib/postgresql/data');
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual([
      'grafana-data',
      'postgres-data',
      'prometheus-data',
      'redis-data',
    ]);
  });
});

describe('deploy/postgres/init-app-role.sh against the local Postgres', () => {
  const suffix = randomBytes(4).toString('hex');
  const db = `ghinit_${suffix}`;
  const role = `ghinit_app_${suffix}`;
  // The same server and superuser the other suites use (test/support/test-database.ts).
  const admin = new URL(
    process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const server = { PGHOST: admin.hostname, PGPORT: admin.port || '5432' };
  const pg: Record<string, string> = {
    ...server,
    PGUSER: decodeURIComponent(admin.username) || 'postgres',
    ...(admin.password ? { PGPASSWORD: decodeURIComponent(admin.password) } : {}),
  };
  const psql = (sql: string, database = 'postgres') =>
    run('psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', database, '-c', sql], pg);

  beforeAll(async () => {
    expect((await psql(`CREATE DATABASE ${db}`)).code).toBe(0);
  });

  const APP_ROLES = ['gatehouse_gateway', 'gatehouse_proxy_worker', 'gatehouse_audit'];

  afterAll(async () => {
    await psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await psql(`DROP ROLE IF EXISTS ${role}`);
    // The app roles are the server's, shared with every suite (which log in by trust): leave
    // them without the passwords set here.
    for (const r of APP_ROLES) await psql(`ALTER ROLE ${r} PASSWORD NULL`);
  });

  const initEnv = (overrides: Record<string, string>) => ({
    ...pg,
    POSTGRES_USER: pg.PGUSER,
    POSTGRES_DB: db,
    POSTGRES_PASSWORD: randomBytes(32).toString('hex'),
    APP_DB_USER: role,
    APP_DB_PASSWORD: randomBytes(32).toString('hex'),
    GATEWAY_DB_PASSWORD: randomBytes(32).toString('hex'),
    PROXY_WORKER_DB_PASSWORD: randomBytes(32).toString('hex'),
    AUDIT_DB_PASSWORD: randomBytes(32).toString('hex'),
    // Where compose mounts app-roles.sh (/gatehouse), here.
    GATEHOUSE_SCRIPTS: join(ROOT, 'deploy/postgres'),
    ...overrides,
  });

  /** Each app role's (can log in, password hash). Reads pg_authid: the superuser's view. */
  const appRoleLogins = async () =>
    (
      await psql(
        `SELECT rolname, rolcanlogin, coalesce(rolpassword, '') FROM pg_authid
          WHERE rolname IN ('${APP_ROLES.join("','")}') ORDER BY rolname`,
      )
    ).out
      .trim()
      .split('\n')
      .map((line) => line.split('|'));

  it('refuses placeholder and short passwords before the image sets anything up', async () => {
    // A stand-in for the image's docker-entrypoint.sh that only records it was reached.
    const bin = mkdtempSync(join(tmpdir(), 'gatehouse-entrypoint-'));
    const reached = join(bin, 'reached');
    writeFileSync(join(bin, 'docker-entrypoint.sh'), `#!/bin/sh\necho "$@" > '${reached}'\n`, {
      mode: 0o755,
    });
    const withFake = (env: Record<string, string>) => ({
      ...env,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    });
    try {
      for (const [name, value] of [
        ['APP_DB_PASSWORD', 'change-me-app-db-password-openssl-rand-hex-32'],
        ['APP_DB_PASSWORD', 'q7Zx9w'],
        ['POSTGRES_PASSWORD', 'change-me-postgres-password-openssl-rand-hex-32'],
        ['GATEWAY_DB_PASSWORD', 'change-me-gateway-db-password-openssl-rand-hex-32'],
        ['AUDIT_DB_PASSWORD', ''],
      ] as const) {
        const res = await run(
          'sh',
          ['deploy/postgres/entrypoint.sh', 'postgres'],
          withFake(initEnv({ [name]: value })),
        );
        expect(res.code).not.toBe(0);
        expect(res.out).toContain(name);
        if (value) expect(res.out).not.toContain(value);
        expect(existsSync(reached)).toBe(false);
      }
      // One password for two roles would let one app log in as the other.
      const shared = randomBytes(32).toString('hex');
      const twin = await run(
        'sh',
        ['deploy/postgres/entrypoint.sh', 'postgres'],
        withFake(initEnv({ GATEWAY_DB_PASSWORD: shared, AUDIT_DB_PASSWORD: shared })),
      );
      expect(twin.code).not.toBe(0);
      expect(twin.out).toContain('AUDIT_DB_PASSWORD must differ from GATEWAY_DB_PASSWORD');
      expect(twin.out).not.toContain(shared);
      expect(existsSync(reached)).toBe(false);
      const ok = await run(
        'sh',
        ['deploy/postgres/entrypoint.sh', 'postgres'],
        withFake(initEnv({})),
      );
      expect(ok.code).toBe(0);
      expect(readFileSync(reached, 'utf8').trim()).toBe('postgres');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
    expect((await psql(`SELECT count(*) FROM pg_roles WHERE rolname = '${role}'`)).out.trim()).toBe(
      '0',
    );
  });

  it('creates a login role that owns the database and holds no superpower', async () => {
    // A password with quotes proves the value is never spliced into SQL.
    const password = `${randomBytes(20).toString('hex')}'"; DROP ROLE postgres; --`;
    const res = await run(
      'sh',
      ['deploy/postgres/init-app-role.sh'],
      initEnv({ APP_DB_PASSWORD: password }),
    );
    expect(res.code).toBe(0);
    expect(res.out).not.toContain(password);
    // The app roles can log in, each with a password (stored as a SCRAM verifier).
    const logins = await appRoleLogins();
    expect(logins.map(([name, canLogin]) => [name, canLogin])).toEqual(
      [...APP_ROLES].sort().map((name) => [name, 't']),
    );
    for (const [, , hash] of logins) expect(hash).toMatch(/^SCRAM-SHA-256\$/);
    // Run again by hand with a new password (an upgrade, a rotation): the login changes.
    const before = new Map(logins.map(([name, , hash]) => [name, hash]));
    const again = await run('sh', ['deploy/postgres/app-roles.sh'], initEnv({}));
    expect(again.code).toBe(0);
    for (const [name, , hash] of await appRoleLogins()) {
      expect([name, hash === before.get(name)]).toEqual([name, false]);
    }
    const attrs = await psql(
      `SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls
         FROM pg_roles WHERE rolname = '${role}'`,
    );
    expect(attrs.out.trim()).toBe('t|f|f|f|f|f');
    const owner = await psql(
      `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${db}'`,
    );
    expect(owner.out.trim()).toBe(role);
    // As the owner it can create tables in public (what migrations need).
    const asApp = await run(
      'psql',
      [
        '-X',
        '-At',
        '-v',
        'ON_ERROR_STOP=1',
        '-d',
        db,
        '-c',
        'CREATE TABLE t (x int); SELECT current_user',
      ],
      {
        ...server,
        PGUSER: role,
        PGPASSWORD: password,
      },
    );
    expect(asApp).toEqual({ code: 0, out: `CREATE TABLE\n${role}\n` });
  });
});

describe('the operator docs', () => {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => ({ name, text: readFileSync(join(ROOT, 'docs', name), 'utf8') }));
  const commands = docs.flatMap(({ name, text }) =>
    [...text.matchAll(/docker compose[^\n`]*/g)].map((m) => [name, m[0]] as const),
  );

  it('runs one-off containers with --rm --no-deps -T (no stack started, no CR in the output)', () => {
    const runs = commands.filter(([, c]) => / run /.test(c));
    expect(runs.length).toBeGreaterThan(0);
    for (const [name, command] of runs) {
      expect([name, command]).toEqual([name, expect.stringMatching(/ run --rm --no-deps -T /)]);
    }
  });

  it('uses no shell variable in a command that the doc never defines or explains', () => {
    const known = new Set([...Object.keys(exampleValues()), 'HOME', 'PWD', 'USER', 'PATH']);
    const undefinedOnes: string[] = [];
    for (const { name, text } of docs) {
      const code = [...text.matchAll(/```(?:sh|bash|cron)\n([\s\S]*?)```/g)].map((m) => m[1]);
      const used = new Set(
        code.flatMap((block) => [...block.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1])),
      );
      for (const variable of used) {
        const defined =
          known.has(variable) ||
          new RegExp(`(^|[\\s;(])(export )?${variable}=`, 'm').test(text) ||
          new RegExp(`\\b(read|for)\\b[^\\n]*\\b${variable}\\b`).test(text) ||
          text.includes(`\`${variable}\``);
        if (!defined) undefinedOnes.push(`${name}: ${variable}`);
      }
    }
    expect(undefinedOnes).toEqual([]);
  });

  it('names only settings that exist', () => {
    const nginxTemplate = readFileSync(
      join(ROOT, 'nginx/templates/gatehouse.conf.template'),
      'utf8',
    );
    const existing = new Set([
      ...Object.keys(configSchema.shape),
      ...exampleVariables(),
      ...serviceNames.flatMap((name) => Object.keys(environmentOf(services[name]))),
      ...[...nginxTemplate.matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]),
      // The operator scripts' own settings (scripts/backup-now).
      ...namesIn('scripts', /\$\{([A-Z][A-Z0-9_]*)[:}-]/g),
      // Removed settings, which the upgrade notes name.
      ...REMOVED_VARIABLE_NAMES,
      // Constants of the code (docs/architecture.md names where the contracts live).
      ...exportedConstants(join(ROOT, 'libs')),
      // Read by compose itself (interpolation).
      ...[...composeText.matchAll(/(?<!\$)\$\{([A-Z_]+)/g)].map((m) => m[1]),
      // The image's build arguments.
      ...[...dockerfileText.matchAll(/^ARG ([A-Z][A-Z0-9_]*)/gm)].map((m) => m[1]),
      // The benchmark's knobs (docs/performance.md), as the bench reads them.
      ...namesIn('bench', /(?:process\.env\.|numberEnv\(')([A-Z][A-Z0-9_]*)/g, '.ts'),
    ]);
    const unknown: string[] = [];
    for (const { name, text } of docs) {
      // Shell variables the doc itself sets or uses are not settings.
      const local = new Set([
        ...[...text.matchAll(/^\s*(?:export )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]),
        ...[...text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]),
      ]);
      for (const [, variable] of text.matchAll(/`([A-Z][A-Z0-9]*_[A-Z0-9_]+)(?:=[^`]*)?`/g)) {
        if (!local.has(variable) && !existing.has(variable)) unknown.push(`${name}: ${variable}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('never recreates only the gateway or restarts a service to apply .env.production', () => {
    // `up -d gateway` left proxy-worker without new variables; `restart` re-reads nothing.
    for (const [name, command] of commands) {
      expect([name, command]).not.toEqual([
        name,
        expect.stringMatching(/ up -d (gateway|audit|proxy-worker)\b/),
      ]);
      expect([name, command]).not.toEqual([name, expect.stringMatching(/ restart\b/)]);
    }
  });
});

describe('the upgrade to per-service env files (docs/upgrading.md)', () => {
  const upgrading = readFileSync(join(ROOT, 'docs/upgrading.md'), 'utf8');
  const section = upgrading.slice(upgrading.indexOf('Upgrading to per-service env files'));
  /** The section's first shell block: the split, as an operator pastes it. */
  const split = (/```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '')
    .split('\n')
    .map((line) => line.replace(/^ {2}/, '')) // the block is indented under a list item
    .join('\n');

  it('turns a .env.production of the previous layout into files every app starts with', async () => {
    expect(split).toContain('.env.postgres');
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-split-'));
    try {
      // The previous layout: one file holding every service's secrets, passwords in the URLs.
      const secret = () => randomBytes(32).toString('hex');
      const keys = generateCredentialKeyPair();
      const [ownerPassword, redisPassword] = [secret(), secret()];
      const old: Record<string, string> = {
        ...exampleValues(exampleTexts['.env.production']),
        ADMIN_API_KEY: secret(),
        KEY_PEPPER: secret(),
        AUDIT_EVENT_KEY: secret(),
        AUDIT_CHAIN_KEY: secret(),
        // New in a later version than the split; upgrading.md has it added before upgrading.
        PII_VAULT_KEY: secret(),
        CREDENTIALS_PUBLIC_KEY: keys.publicKey,
        CREDENTIALS_PRIVATE_KEYS: keys.privateKey,
        POSTGRES_PASSWORD: secret(),
        APP_DB_USER: 'gatehouse_app',
        APP_DB_PASSWORD: ownerPassword,
        DATABASE_URL: `postgres://gatehouse_app:${ownerPassword}@postgres:5432/gatehouse`,
        DB_RUN_MIGRATIONS: 'true',
        REDIS_PASSWORD: redisPassword,
        REDIS_URL: `redis://:${redisPassword}@redis:6379`,
        TUNNEL_TOKEN: secret(),
      };
      writeFileSync(
        join(dir, '.env.production'),
        Object.entries(old)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      );
      writeFileSync(join(dir, '.env.tunnel.example'), exampleTexts['.env.tunnel']);
      const script = split.replace(/^cd \/opt\/gatehouse$/m, '');
      const res = await run('bash', ['-euc', script], { HOME: dir }, 15_000, dir);
      expect(res).toEqual({ code: 0, out: '' });
      const file = (name: string) => readFileSync(join(dir, name), 'utf8');
      expect(file('.env.production.before-split')).toContain(ownerPassword);
      expect(file('.env.tunnel')).toBe(`TUNNEL_TOKEN=${old.TUNNEL_TOKEN}\n`);
      for (const name of ['.env.postgres', '.env.redis', '.env.tunnel']) {
        expect([name, statSync(join(dir, name)).mode & 0o077]).toEqual([name, 0]);
      }
      // Each password is now in one file only, and the URLs hold none.
      expect(file('.env.production')).not.toContain(ownerPassword);
      expect(file('.env.production')).not.toContain(redisPassword);
      expect(file('.env.production')).not.toContain(old.TUNNEL_TOKEN);
      // What each service would see, as compose builds it: its files, then its environment.
      const seen = (service: Service) => effectiveEnv(service, file);
      for (const app of APPS) {
        const { config } = loadConfig(app, seen(services[app]));
        const db = new URL(config.DATABASE_URL);
        expect([app, db.username, db.host]).toEqual([app, APP_DB_ROLES[app], 'postgres:5432']);
        expect(decodeURIComponent(new URL(config.REDIS_URL).password)).toBe(redisPassword);
        expect(config.DB_RUN_MIGRATIONS).toBe(false);
      }
      const { config } = loadConfig('cli', seen(services.migrate));
      expect(new URL(config.DATABASE_URL).username).toBe('gatehouse_app');
      expect(new URL(config.DATABASE_URL).password).toBe(ownerPassword);
      // And Postgres finds the passwords it checks before starting.
      const check = await run(
        'sh',
        ['deploy/postgres/check-db-secrets.sh'],
        seen(services.postgres),
      );
      expect(check).toEqual({ code: 0, out: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the env file examples', () => {
  const scriptVariables = (file: string) =>
    [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map(
      (m) => m[1],
    );
  const composeUses = new Set<string>([
    ...serviceNames.flatMap((name) => Object.keys(environmentOf(services[name]))),
    ...[...composeText.matchAll(/\$\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]),
    ...['init-app-role.sh', 'app-roles.sh', 'check-db-secrets.sh'].flatMap((file) =>
      scriptVariables(`deploy/postgres/${file}`),
    ),
    // Read by the cloudflared image itself.
    'TUNNEL_TOKEN',
  ]);
  const schemaVariables = Object.keys(configSchema.shape);
  /** Refused in production, so the example must not offer them. */
  const TEST_ONLY = ['CF_ACCESS_JWKS_URL'];

  it('names only variables that the config schema or compose uses', () => {
    const unknown = exampleVariables().filter(
      (name) => !schemaVariables.includes(name) && !composeUses.has(name),
    );
    expect(unknown).toEqual([]);
    expect(exampleVariables()).toEqual(expect.arrayContaining(['TUNNEL_TOKEN', 'APP_DB_USER']));
  });

  it('names every variable of the config schema, each after a one-line comment', () => {
    const named = new Set(exampleVariables());
    expect(schemaVariables.filter((name) => !named.has(name) && !TEST_ONLY.includes(name))).toEqual(
      [],
    );
    for (const name of TEST_ONLY) expect(named.has(name)).toBe(false);
    const lines = exampleText.split('\n');
    lines.forEach((line, i) => {
      if (/^(?:#\s*)?[A-Z][A-Z0-9_]*=/.test(line)) {
        const previous = lines[i - 1] ?? '';
        // Either its own comment or part of a commented group introduced by one.
        expect([line, previous.startsWith('#')]).toEqual([line, true]);
      }
    });
  });

  it('uses placeholders for every secret, with a way to generate each', () => {
    const values = exampleValues();
    const secrets = Object.keys(values).filter((name) => SECRET_NAME.test(name));
    expect(secrets.sort()).toEqual([
      'ADMIN_API_KEY',
      'APP_DB_PASSWORD',
      'AUDIT_CHAIN_KEY',
      'AUDIT_DB_PASSWORD',
      'AUDIT_EVENT_KEY',
      'CREDENTIALS_PRIVATE_KEYS',
      'CREDENTIALS_PUBLIC_KEY',
      'GATEWAY_DB_PASSWORD',
      'KEY_PEPPER',
      'PII_VAULT_KEY',
      'POSTGRES_PASSWORD',
      'PROXY_WORKER_DB_PASSWORD',
      'REDIS_PASSWORD',
      'TUNNEL_TOKEN',
    ]);
    for (const name of secrets)
      expect([name, values[name]]).toEqual([name, expect.stringMatching(/^change-me-/)]);
    expect(exampleText).toContain('openssl rand -hex 32');
    expect(exampleText).toContain('npm run keys:generate');
    // The URLs say where; every password lives once, in the file of the service that owns it.
    const db = new URL(values.DATABASE_URL);
    expect([db.hostname, db.username, db.password, db.pathname]).toEqual([
      'postgres',
      '',
      '',
      '/gatehouse',
    ]);
    const redis = new URL(values.REDIS_URL);
    expect([redis.hostname, redis.username, redis.password]).toEqual(['redis', '', '']);
    for (const file of ENV_FILES) {
      for (const name of Object.keys(exampleValues(exampleTexts[file]))) {
        const others = ENV_FILES.filter(
          (f) => f !== file && name in exampleValues(exampleTexts[f]),
        );
        expect([file, name, others]).toEqual([file, name, []]);
      }
    }
  });

  it.each(APPS)('cannot start %s as is: exit 78 naming the placeholders', async (app) => {
    // As compose would: the env files, then the service's own environment over them.
    const env = effectiveEnv(services[app]);
    const proc = spawnApp(app, env);
    const code = await Promise.race([
      proc.exited,
      new Promise<string>((r) => setTimeout(() => r('still running'), 20_000)),
    ]);
    if (code === 'still running') await proc.stop();
    expect(code).toBe(78);
    const out = proc.output();
    const expected = {
      gateway: ['ADMIN_API_KEY', 'KEY_PEPPER', 'PII_VAULT_KEY'],
      'proxy-worker': ['CREDENTIALS_PRIVATE_KEYS'],
      audit: ['AUDIT_CHAIN_KEY'],
    }[app];
    for (const name of expected) expect(out).toMatch(new RegExp(`${name} is a placeholder`));
    for (const value of Object.values(exampleValues()).filter((v) => v.startsWith('change-me-'))) {
      expect(out).not.toContain(value);
    }
  });
});

describe('Redis as compose runs it, the health check, the heartbeat, and the policy warning', () => {
  const password = randomBytes(32).toString('hex');
  let port: number;
  let dataDir: string;
  let redis: ChildProcess | undefined;
  let redisOut = '';
  let env: TestEnv;

  /** The compose redis command, made runnable here: `$$` unescaped, own port and data dir. */
  const redisScript = (): string => {
    const command = services.redis.command as string[];
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    return command[2]
      .replaceAll('$$', '$')
      .replace('--dir /data', `--dir ${dataDir} --port ${port} --bind 127.0.0.1 --save ''`);
  };
  const redisProbe = (): string =>
    (services.redis.healthcheck?.test as string[])[1]
      .replaceAll('$$', '$')
      .replace('redis-cli', `redis-cli -p ${port}`);
  const redisUrl = (): string => `redis://:${password}@127.0.0.1:${port}`;

  beforeAll(async () => {
    port = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-'));
    env = await createTestEnv();
  });

  afterAll(async () => {
    if (redis && redis.exitCode === null) {
      const exited = new Promise((r) => redis?.once('exit', r));
      redis.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    await env?.cleanup();
  });

  it('refuses to start redis with a placeholder or no password', async () => {
    for (const REDIS_PASSWORD of ['change-me-redis-password-openssl-rand-hex-32', '']) {
      const res = await run('sh', ['-c', redisScript()], { REDIS_PASSWORD });
      expect(res.code).toBe(78);
      expect(res.out).toContain('REDIS_PASSWORD is missing or a placeholder');
    }
  });

  it('starts redis that requires the password, persists with AOF and never evicts', async () => {
    redis = spawn('sh', ['-c', redisScript()], {
      env: { PATH: process.env.PATH ?? '', REDIS_PASSWORD: password },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    redis.stdout?.on('data', (d: Buffer) => (redisOut += d.toString()));
    redis.stderr?.on('data', (d: Buffer) => (redisOut += d.toString()));
    await waitFor(
      async () => (await run('sh', ['-c', redisProbe()], { REDIS_PASSWORD: password })).code === 0,
      10_000,
      () => redisOut,
    );
    const anonymous = await run('redis-cli', ['-p', String(port), 'ping'], {});
    expect(anonymous.out).toContain('NOAUTH');
    const wrong = await run('sh', ['-c', redisProbe()], { REDIS_PASSWORD: 'wrong' });
    expect(wrong.code).not.toBe(0);
    const client = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    try {
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual([
        'maxmemory-policy',
        'noeviction',
      ]);
    } finally {
      client.disconnect();
    }
  });

  describe('a gateway against it', () => {
    let gw: (SpawnedApp & { url: string }) | undefined;

    afterEach(async () => {
      await gw?.stop();
      gw = undefined;
    });

    it('is healthy by the health check, quiet about noeviction, unhealthy once gone', async () => {
      gw = await spawnGateway({ ...env.env, REDIS_URL: redisUrl(), LOG_LEVEL: 'debug' });
      const port = new URL(gw.url).port;
      const up = await healthcheck(['gateway'], { PORT: port });
      expect(up).toEqual({ code: 0, out: expect.stringContaining('gateway: healthy') });
      // Named by GATEHOUSE_APP as well as by argument.
      expect((await healthcheck([], { PORT: port, GATEHOUSE_APP: 'gateway' })).code).toBe(0);
      await waitFor(
        () => Promise.resolve(gw?.output().includes('maxmemory-policy is noeviction') === true),
        10_000,
        () => gw?.output() ?? '',
      );
      expect(gw.output()).not.toContain('not "noeviction"');
      await gw.stop();
      const down = await healthcheck(['gateway'], { PORT: port });
      expect(down.code).not.toBe(0);
      expect(down.out).toContain('unhealthy');
    });

    it('warns, naming the policy, when Redis may evict keys, and starts all the same', async () => {
      const client = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
      try {
        await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
        gw = await spawnGateway({ ...env.env, REDIS_URL: redisUrl(), LOG_LEVEL: 'warn' });
        const policyLine = () =>
          gw
            ?.output()
            .split('\n')
            .find((l) => l.includes('"context":"RedisPolicy"'));
        await waitFor(
          () => Promise.resolve(policyLine() !== undefined),
          10_000,
          () => gw?.output() ?? '',
        );
        const line = policyLine();
        expect(JSON.parse(line ?? '{}')).toMatchObject({
          level: 'warn',
          msg: expect.stringContaining('maxmemory-policy is "allkeys-lru", not "noeviction"'),
        });
        expect((await fetch(`${gw.url}/health`)).status).toBe(200);
      } finally {
        await client.config('SET', 'maxmemory-policy', 'noeviction').catch(() => undefined);
        client.disconnect();
      }
    });
  });

  it('tells a live standalone app from a stalled or missing one by its heartbeat', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-heartbeat-'));
    const file = join(dir, 'audit.heartbeat');
    const app = spawnApp('audit', { ...env.env, REDIS_URL: redisUrl(), HEARTBEAT_FILE: file });
    try {
      const missing = await healthcheck(['audit'], { HEARTBEAT_FILE: join(dir, 'missing') });
      expect(missing.code).not.toBe(0);
      expect(missing.out).toContain('no heartbeat file');
      await waitFor(
        () => Promise.resolve(statSync(file, { throwIfNoEntry: false }) !== undefined),
        30_000,
        () => app.output(),
        app.exited,
      );
      const ok = await healthcheck(['audit'], { HEARTBEAT_FILE: file });
      expect(ok).toEqual({ code: 0, out: expect.stringContaining('audit: healthy') });
      // Without a name, the heartbeat file identifies the app.
      expect((await healthcheck([], { HEARTBEAT_FILE: file })).code).toBe(0);
      // The app keeps touching it.
      const first = statSync(file).mtimeMs;
      await waitFor(
        () => Promise.resolve(statSync(file).mtimeMs > first),
        10_000,
        () => app.output(),
      );
      await app.stop();
      await new Promise((r) => setTimeout(r, 1_500));
      const stale = await healthcheck(['audit'], {
        HEARTBEAT_FILE: file,
        HEARTBEAT_MAX_AGE_MS: '1000',
      });
      expect(stale.code).not.toBe(0);
      expect(stale.out).toMatch(/unhealthy: (heartbeat .* old|no heartbeat file)/);
    } finally {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The first group of `pattern` at each match in the files of the repository's `folder`. */
function namesIn(folder: string, pattern: RegExp, ending = ''): string[] {
  return readdirSync(join(ROOT, folder))
    .filter((file) => file.endsWith(ending))
    .flatMap((file) => [...readFileSync(join(ROOT, folder, file), 'utf8').matchAll(pattern)])
    .map((m) => m[1]);
}

/** Names of the `export const UPPER_CASE` constants in the TypeScript files under `dir`. */
function exportedConstants(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      [
        ...readFileSync(join(dir, file), 'utf8').matchAll(/^export const ([A-Z][A-Z0-9_]+)\b/gm),
      ].map((m) => m[1]),
    );
}
