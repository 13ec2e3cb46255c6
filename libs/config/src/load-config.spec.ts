import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCredentialKeyPair } from '@gatehouse/crypto';
import { ConfigError } from './config-error.js';
import { loadConfig } from './load-config.js';

const secret = (): string => randomBytes(32).toString('hex');

/** The ConfigError loadConfig throws for `env`; fails the test when it does not throw one. */
function configErrorFor(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig('gateway', env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('loadConfig', () => {
  let dir: string;
  let secretsFile: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
    secretsFile = join(dir, 'dev-secrets.json');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('defaults', () => {
    it('binds to 127.0.0.1:3000 unless told otherwise', () => {
      const { config } = loadConfig('gateway', { DEV_SECRETS_FILE: secretsFile });
      expect(config.HOST).toBe('127.0.0.1');
      expect(config.PORT).toBe(3000);
      expect(config.NODE_ENV).toBe('development');
    });

    it('treats an empty variable as unset', () => {
      const { config } = loadConfig('gateway', {
        DEV_SECRETS_FILE: secretsFile,
        HOST: '',
        PORT: '',
      });
      expect(config.HOST).toBe('127.0.0.1');
      expect(config.PORT).toBe(3000);
    });

    it('parses explicit values', () => {
      const { config } = loadConfig('gateway', {
        DEV_SECRETS_FILE: secretsFile,
        HOST: '0.0.0.0',
        PORT: '8080',
        CORS_ORIGINS: 'https://a.example, https://b.example ,',
      });
      expect(config.HOST).toBe('0.0.0.0');
      expect(config.PORT).toBe(8080);
      expect(config.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    });
  });

  describe('invalid values', () => {
    it.each([
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['DATABASE_URL', 'not a url'],
      ['REDIS_URL', 'nope'],
      ['NODE_ENV', 'prod'],
      ['REDIS_KEY_PREFIX', 'has spaces'],
    ])('refuses %s=%s, naming the variable', (name, value) => {
      const err = configErrorFor({ DEV_SECRETS_FILE: secretsFile, [name]: value });
      expect(err.problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
    });

    it('does not echo an invalid value back', () => {
      const marker = randomBytes(16).toString('hex');
      const err = configErrorFor({
        NODE_ENV: 'production',
        DATABASE_URL: `postgres user:${marker} at nowhere`,
        ADMIN_API_KEY: secret(),
        KEY_PEPPER: secret(),
      });
      expect(err.message).toContain('DATABASE_URL');
      expect(err.message).not.toContain(marker);
    });
  });

  describe('in production', () => {
    const good = (): Record<string, string> => goodProduction();
    const goodProduction = (): Record<string, string> => ({
      NODE_ENV: 'production',
      ADMIN_API_KEY: secret(),
      KEY_PEPPER: secret(),
      AUDIT_EVENT_KEY: secret(),
      PII_VAULT_KEY: secret(),
      GATEWAY_DB_PASSWORD: secret(),
      DEV_SECRETS_FILE: secretsFile,
    });

    it('accepts strong, distinct secrets and uses them as given', () => {
      const env = good();
      const { config, generatedAdminKey } = loadConfig('gateway', env);
      expect(config.ADMIN_API_KEY).toBe(env.ADMIN_API_KEY);
      expect(config.KEY_PEPPER).toBe(env.KEY_PEPPER);
      expect(generatedAdminKey).toBeUndefined();
      expect(existsSync(secretsFile)).toBe(false);
    });

    it.each(['ADMIN_API_KEY', 'KEY_PEPPER', 'AUDIT_EVENT_KEY', 'PII_VAULT_KEY'])(
      'requires %s and never generates it',
      (name) => {
        const err = configErrorFor({ ...good(), [name]: undefined });
        expect(err.problems).toContain(`${name} is required in production`);
        expect(existsSync(secretsFile)).toBe(false);
      },
    );

    it.each(['ADMIN_API_KEY', 'KEY_PEPPER'])('refuses a short %s without showing it', (name) => {
      const value = randomBytes(15).toString('hex'); // 30 characters
      const err = configErrorFor({ ...good(), [name]: value });
      expect(err.problems).toContain(`${name} is shorter than 32 characters`);
      expect(err.message).not.toContain(value);
    });

    it.each([
      ['ADMIN_API_KEY', 'change-me-please'],
      ['ADMIN_API_KEY', 'changeme_'],
      ['KEY_PEPPER', 'your-pepper-here-'],
      ['KEY_PEPPER', 'example-'],
    ])('refuses a placeholder %s (%s…) without showing it', (name, start) => {
      const value = `${start}${randomBytes(20).toString('hex')}`;
      const err = configErrorFor({ ...good(), [name]: value });
      expect(
        err.problems.filter((p) => p.startsWith(`${name} is a placeholder value`)),
      ).toHaveLength(1);
      expect(err.message).not.toContain(value);
    });

    it('refuses a long run of one character', () => {
      const err = configErrorFor({ ...good(), KEY_PEPPER: 'x'.repeat(64) });
      expect(err.message).toContain('KEY_PEPPER is a placeholder value');
    });

    it.each(['KEY_PEPPER'])('refuses ADMIN_API_KEY reused as %s', (name) => {
      const env = good();
      const err = configErrorFor({ ...env, [name]: env.ADMIN_API_KEY });
      expect(err.message).toContain(`${name} must differ from ADMIN_API_KEY`);
      expect(err.message).not.toContain(env.ADMIN_API_KEY);
    });

    it('refuses the removed bootstrap API_KEY, saying what to use instead', () => {
      const value = randomBytes(32).toString('hex');
      const err = configErrorFor({ ...good(), API_KEY: value });
      expect(err.problems).toEqual([expect.stringMatching(/^API_KEY was removed/)]);
      expect(err.message).toContain('POST /api/v1/admin/keys');
      expect(err.message).not.toContain(value);
    });

    it.each([
      [
        'DATABASE_URL',
        (pw: string) => `postgres://gatehouse_gateway:${pw}@postgres:5432/gatehouse`,
      ],
      ['REDIS_URL', (pw: string) => `redis://:${pw}@redis:6379`],
    ] as const)('refuses a placeholder or short password inside %s', (name, url) => {
      // The password is in the URL, so not in a variable too.
      const good = (): Record<string, string | undefined> => ({
        ...goodProduction(),
        ...(name === 'DATABASE_URL' ? { GATEWAY_DB_PASSWORD: undefined } : {}),
      });
      const placeholder = `change-me-${randomBytes(20).toString('hex')}`;
      const err = configErrorFor({ ...good(), [name]: url(placeholder) });
      expect(err.problems).toContain(
        `${name}'s password is a placeholder value; generate one with \`openssl rand -hex 32\``,
      );
      expect(err.message).not.toContain(placeholder);
      const short = randomBytes(8).toString('hex');
      expect(configErrorFor({ ...good(), [name]: url(short) }).problems).toContain(
        `${name}'s password is shorter than 32 characters`,
      );
      expect(() => loadConfig('gateway', { ...good(), [name]: url(secret()) })).not.toThrow();
    });

    it.each(['*', 'https://a.example,*', ' * '])('refuses CORS_ORIGINS=%j', (origins) => {
      const err = configErrorFor({ ...good(), CORS_ORIGINS: origins });
      expect(err.message).toContain('CORS_ORIGINS');
    });

    it('accepts explicit CORS origins', () => {
      const { config } = loadConfig('gateway', { ...good(), CORS_ORIGINS: 'https://app.example' });
      expect(config.CORS_ORIGINS).toEqual(['https://app.example']);
    });

    it('reports every problem at once', () => {
      const err = configErrorFor({
        NODE_ENV: 'production',
        KEY_PEPPER: 'short',
        AUDIT_EVENT_KEY: secret(),
        PII_VAULT_KEY: secret(),
        GATEWAY_DB_PASSWORD: secret(),
        CORS_ORIGINS: '*',
      });
      expect(err.problems).toHaveLength(3);
      expect(err.message).toMatch(/ADMIN_API_KEY[\s\S]*KEY_PEPPER[\s\S]*CORS_ORIGINS/);
    });

    it('does not require gateway secrets for the other apps', () => {
      const env = {
        NODE_ENV: 'production',
        DEV_SECRETS_FILE: secretsFile,
        AUDIT_EVENT_KEY: secret(),
      };
      expect(() =>
        loadConfig('proxy-worker', {
          ...env,
          CREDENTIALS_PRIVATE_KEYS: generateCredentialKeyPair().privateKey,
          PROXY_WORKER_DB_PASSWORD: secret(),
        }),
      ).not.toThrow();
      expect(() =>
        loadConfig('audit', { ...env, AUDIT_CHAIN_KEY: secret(), AUDIT_DB_PASSWORD: secret() }),
      ).not.toThrow();
      expect(existsSync(secretsFile)).toBe(false);
    });

    it('requires AUDIT_CHAIN_KEY for the audit app, and no gateway secret', () => {
      expect(() => loadConfig('audit', { NODE_ENV: 'production' })).toThrow(
        /AUDIT_CHAIN_KEY is required in production/,
      );
    });

    it.each([
      ['gateway', 'AUDIT_CHAIN_KEY'],
      ['gateway', 'CREDENTIALS_PRIVATE_KEYS'],
      ['proxy-worker', 'ADMIN_API_KEY'],
      ['proxy-worker', 'KEY_PEPPER'],
      ['proxy-worker', 'AUDIT_CHAIN_KEY'],
      ['proxy-worker', 'PII_VAULT_KEY'],
      ['audit', 'PII_VAULT_KEY'],
      ['audit', 'ADMIN_API_KEY'],
      ['audit', 'KEY_PEPPER'],
      ['audit', 'CREDENTIALS_PRIVATE_KEYS'],
      ['gateway', 'AUDIT_DB_PASSWORD'],
      ['gateway', 'APP_DB_PASSWORD'],
      ['gateway', 'POSTGRES_PASSWORD'],
      ['proxy-worker', 'GATEWAY_DB_PASSWORD'],
      ['audit', 'PROXY_WORKER_DB_PASSWORD'],
    ] as const)('refuses to start %s holding %s, a secret it does not use', (app, name) => {
      const own: Record<string, Record<string, string>> = {
        gateway: {
          ADMIN_API_KEY: secret(),
          KEY_PEPPER: secret(),
          AUDIT_EVENT_KEY: secret(),
          PII_VAULT_KEY: secret(),
          GATEWAY_DB_PASSWORD: secret(),
        },
        'proxy-worker': {
          CREDENTIALS_PRIVATE_KEYS: generateCredentialKeyPair().privateKey,
          AUDIT_EVENT_KEY: secret(),
          PROXY_WORKER_DB_PASSWORD: secret(),
        },
        audit: {
          AUDIT_CHAIN_KEY: secret(),
          AUDIT_EVENT_KEY: secret(),
          AUDIT_DB_PASSWORD: secret(),
        },
      };
      const value =
        name === 'CREDENTIALS_PRIVATE_KEYS' ? generateCredentialKeyPair().privateKey : secret();
      let err: ConfigError | undefined;
      try {
        loadConfig(app, { NODE_ENV: 'production', ...own[app], [name]: value });
      } catch (e) {
        err = e as ConfigError;
      }
      expect(err?.problems).toEqual([
        `${name} is not used by ${app}; give it only to the app that uses it`,
      ]);
      expect(err?.message).not.toContain(value);
    });

    it('refuses an app that would connect as the database owner, naming its password variable', () => {
      const err = configErrorFor({
        ...good(),
        GATEWAY_DB_PASSWORD: undefined,
        DATABASE_URL: `postgres://gatehouse_app:${secret()}@postgres:5432/gatehouse`,
      });
      expect(err.problems).toContain(
        'gateway must connect to the database as its own role gatehouse_gateway in production: ' +
          'set GATEWAY_DB_PASSWORD (docs/upgrading.md)',
      );
    });

    it('accepts a URL that already names the app role', () => {
      const password = secret();
      const { config } = loadConfig('gateway', {
        ...good(),
        GATEWAY_DB_PASSWORD: undefined,
        DATABASE_URL: `postgres://gatehouse_gateway:${password}@postgres:5432/gatehouse`,
      });
      expect(new URL(config.DATABASE_URL).username).toBe('gatehouse_gateway');
    });

    it('refuses two roles sharing one password, without showing it', () => {
      const shared = secret();
      const err = configErrorFor({
        ...good(),
        GATEWAY_DB_PASSWORD: shared,
        REDIS_PASSWORD: shared,
      });
      expect(err.problems).toContain(
        'GATEWAY_DB_PASSWORD must differ from REDIS_PASSWORD: one secret per purpose',
      );
      expect(err.message).not.toContain(shared);
    });

    it('refuses a placeholder role password', () => {
      const err = configErrorFor({
        ...good(),
        GATEWAY_DB_PASSWORD: 'change-me-gateway-db-password-openssl-rand-hex-32',
      });
      expect(err.message).toContain('GATEWAY_DB_PASSWORD is a placeholder value');
    });

    it('requires the credential keyring for the proxy-worker', () => {
      expect(() => loadConfig('proxy-worker', { NODE_ENV: 'production' })).toThrow(
        /CREDENTIALS_PRIVATE_KEYS is required in production/,
      );
    });
  });

  describe('connection credentials', () => {
    const where = 'postgres://postgres:5432/gatehouse';
    const base = (): Record<string, string> => ({
      NODE_ENV: 'test',
      DEV_SECRETS_FILE: secretsFile,
      ADMIN_API_KEY: secret(),
      KEY_PEPPER: secret(),
      DATABASE_URL: where,
      REDIS_URL: 'redis://redis:6379',
    });

    it.each([
      ['gateway', 'GATEWAY_DB_PASSWORD', 'gatehouse_gateway'],
      ['proxy-worker', 'PROXY_WORKER_DB_PASSWORD', 'gatehouse_proxy_worker'],
      ['audit', 'AUDIT_DB_PASSWORD', 'gatehouse_audit'],
    ] as const)('logs %s in as its own role with %s', (app, variable, role) => {
      const password = `${secret()}/+@`; // characters a URL must encode
      const { config } = loadConfig(app, {
        ...base(),
        AUDIT_CHAIN_KEY: secret(),
        [variable]: password,
      });
      const url = new URL(config.DATABASE_URL);
      expect(url.username).toBe(role);
      expect(decodeURIComponent(url.password)).toBe(password);
      expect(`${url.host}${url.pathname}`).toBe('postgres:5432/gatehouse');
    });

    it('logs the CLI (migrations) in as the owner APP_DB_USER', () => {
      const password = secret();
      const { config } = loadConfig('cli', {
        ...base(),
        APP_DB_USER: 'gatehouse_app',
        APP_DB_PASSWORD: password,
        GATEWAY_DB_PASSWORD: secret(),
      });
      const url = new URL(config.DATABASE_URL);
      expect(url.username).toBe('gatehouse_app');
      expect(url.password).toBe(password);
    });

    it('adds REDIS_PASSWORD to a REDIS_URL without one', () => {
      const password = secret();
      const { config } = loadConfig('gateway', { ...base(), REDIS_PASSWORD: password });
      expect(new URL(config.REDIS_URL).password).toBe(password);
    });

    it('uses the URLs as given when no password variable is set', () => {
      const { config } = loadConfig('gateway', base());
      expect(config.DATABASE_URL).toBe(where);
      expect(config.REDIS_URL).toBe('redis://redis:6379');
    });

    it('refuses a password in two places, without showing either', () => {
      const inUrl = secret();
      const inVariable = secret();
      const err = configErrorFor({
        ...base(),
        DATABASE_URL: `postgres://gatehouse_gateway:${inUrl}@postgres:5432/gatehouse`,
        GATEWAY_DB_PASSWORD: inVariable,
        REDIS_URL: `redis://:${inUrl}@redis:6379`,
        REDIS_PASSWORD: inVariable,
      });
      expect(err.problems).toEqual([
        'DATABASE_URL carries a password while GATEWAY_DB_PASSWORD is set: keep the password in one place',
        'REDIS_URL carries a password while REDIS_PASSWORD is set: keep the password in one place',
      ]);
      expect(err.message).not.toContain(inUrl);
      expect(err.message).not.toContain(inVariable);
    });
  });

  describe('credential keys', () => {
    it.each([
      ['CREDENTIALS_PUBLIC_KEY', 'change-me-run-npm-run-keys-generate', 'a placeholder value'],
      ['CREDENTIALS_PUBLIC_KEY', 'k1:not-a-key', 'not a valid key'],
      [
        'CREDENTIALS_PRIVATE_KEYS',
        'change-me-run-npm-run-keys-generate-too',
        'a placeholder value',
      ],
    ])('refuses %s set to %j, naming it (in every environment)', (name, value, what) => {
      for (const NODE_ENV of ['development', 'production']) {
        const err = configErrorFor({ NODE_ENV, DEV_SECRETS_FILE: secretsFile, [name]: value });
        expect(err.problems).toContain(
          `${name} is ${what}; generate the pair with \`npm run keys:generate\``,
        );
        expect(err.message).not.toContain(value);
      }
    });
  });

  describe('outside production', () => {
    it('generates the audit chain key in development for the audit app alone, in its own file', () => {
      const dev = { NODE_ENV: 'development', DEV_SECRETS_FILE: secretsFile };
      expect(loadConfig('gateway', dev).config.AUDIT_CHAIN_KEY).toBeUndefined();
      const first = loadConfig('audit', dev).config.AUDIT_CHAIN_KEY;
      expect(first?.length).toBeGreaterThanOrEqual(32);
      expect(loadConfig('audit', dev).config.AUDIT_CHAIN_KEY).toBe(first);
      expect(statSync(`${secretsFile}.audit`).mode & 0o777).toBe(0o600);
      expect(loadConfig('proxy-worker', dev).config.AUDIT_CHAIN_KEY).toBeUndefined();
    });

    it('runs no audit app without a chain key in tests', () => {
      expect(() =>
        loadConfig('audit', { NODE_ENV: 'test', DEV_SECRETS_FILE: secretsFile }),
      ).toThrow(/AUDIT_CHAIN_KEY is required by the audit app/);
    });

    it('generates one credential key pair for development, not for tests', () => {
      const dev = { NODE_ENV: 'development', DEV_SECRETS_FILE: secretsFile };
      const first = loadConfig('gateway', dev).config;
      const second = loadConfig('proxy-worker', dev).config;
      expect(first.CREDENTIALS_PUBLIC_KEY).toMatch(/^dev:/);
      expect(second.CREDENTIALS_PRIVATE_KEYS).toMatch(/^dev:/);
      expect(second.CREDENTIALS_PUBLIC_KEY).toBe(first.CREDENTIALS_PUBLIC_KEY);
      expect(statSync(`${secretsFile}.credentials`).mode & 0o777).toBe(0o600);
      const test = loadConfig('gateway', {
        ...dev,
        NODE_ENV: 'test',
        DEV_SECRETS_FILE: `${secretsFile}.t`,
      });
      expect(test.config.CREDENTIALS_PUBLIC_KEY).toBeUndefined();
    });

    it('generates missing secrets once, keeps them in a private file and reports the admin key once', () => {
      const first = loadConfig('gateway', {
        NODE_ENV: 'development',
        DEV_SECRETS_FILE: secretsFile,
      });
      expect(first.generatedAdminKey).toBe(first.config.ADMIN_API_KEY);
      expect(first.config.ADMIN_API_KEY.length).toBeGreaterThanOrEqual(32);
      expect(first.config.KEY_PEPPER.length).toBeGreaterThanOrEqual(32);
      expect(first.config.ADMIN_API_KEY).not.toBe(first.config.KEY_PEPPER);
      expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(secretsFile, 'utf8'))).toEqual({
        ADMIN_API_KEY: first.config.ADMIN_API_KEY,
        KEY_PEPPER: first.config.KEY_PEPPER,
      });

      const second = loadConfig('gateway', {
        NODE_ENV: 'development',
        DEV_SECRETS_FILE: secretsFile,
      });
      expect(second.generatedAdminKey).toBeUndefined();
      expect(second.config.ADMIN_API_KEY).toBe(first.config.ADMIN_API_KEY);
      expect(second.config.KEY_PEPPER).toBe(first.config.KEY_PEPPER);
    });

    it('creates the directory of the secrets file', () => {
      const nested = join(dir, 'a', 'b', 'dev-secrets.json');
      loadConfig('gateway', { NODE_ENV: 'test', DEV_SECRETS_FILE: nested });
      expect(statSync(nested).mode & 0o777).toBe(0o600);
    });

    it('uses secrets from the environment and writes nothing when both are set', () => {
      const env = { ADMIN_API_KEY: secret(), KEY_PEPPER: secret(), DEV_SECRETS_FILE: secretsFile };
      const { config, generatedAdminKey } = loadConfig('gateway', env);
      expect(config.ADMIN_API_KEY).toBe(env.ADMIN_API_KEY);
      expect(config.KEY_PEPPER).toBe(env.KEY_PEPPER);
      expect(generatedAdminKey).toBeUndefined();
      expect(existsSync(secretsFile)).toBe(false);
    });

    it('does not announce a generated admin key when the environment provides one', () => {
      const admin = secret();
      const { config, generatedAdminKey } = loadConfig('gateway', {
        ADMIN_API_KEY: admin,
        DEV_SECRETS_FILE: secretsFile,
      });
      expect(config.ADMIN_API_KEY).toBe(admin);
      expect(config.KEY_PEPPER).toMatch(/^[0-9a-f]{64}$/);
      expect(generatedAdminKey).toBeUndefined();
    });

    it('never overwrites an existing secrets file', () => {
      const stored = { ADMIN_API_KEY: secret(), KEY_PEPPER: secret() };
      writeFileSync(secretsFile, JSON.stringify(stored), { mode: 0o600 });
      const { config, generatedAdminKey } = loadConfig('gateway', {
        DEV_SECRETS_FILE: secretsFile,
      });
      expect(config.ADMIN_API_KEY).toBe(stored.ADMIN_API_KEY);
      expect(config.KEY_PEPPER).toBe(stored.KEY_PEPPER);
      expect(generatedAdminKey).toBeUndefined();
    });

    it.each([
      ['empty', ''],
      ['not JSON', '{"ADMIN_API_KEY": '],
      ['incomplete', JSON.stringify({ ADMIN_API_KEY: 'gha_0123' })],
      ['null', 'null'],
    ])('refuses a secrets file that is %s, naming DEV_SECRETS_FILE', (_label, content) => {
      writeFileSync(secretsFile, content, { mode: 0o600 });
      const err = configErrorFor({ DEV_SECRETS_FILE: secretsFile });
      expect(err.message).toContain('DEV_SECRETS_FILE');
      expect(readFileSync(secretsFile, 'utf8')).toBe(content);
    });
  });

  describe('Cloudflare Access', () => {
    const tag = (): string => randomBytes(16).toString('hex');
    const access = () => ({
      DEV_SECRETS_FILE: secretsFile,
      CF_ACCESS_TEAM_DOMAIN: 'myteam.cloudflareaccess.com',
      CF_ACCESS_AUD: tag(),
      CF_ACCESS_ADMIN_AUD: `${tag()}, ${tag()}`,
    });

    it('keeps the client and the admin application tags apart', () => {
      const env = access();
      const { config } = loadConfig('gateway', env);
      expect(config.CF_ACCESS_AUD).toEqual([env.CF_ACCESS_AUD]);
      expect(config.CF_ACCESS_ADMIN_AUD).toEqual(env.CF_ACCESS_ADMIN_AUD.split(', '));
    });

    it.each(['CF_ACCESS_TEAM_DOMAIN', 'CF_ACCESS_AUD', 'CF_ACCESS_ADMIN_AUD'])(
      'refuses Access without %s, naming it',
      (name) => {
        const err = configErrorFor({ ...access(), [name]: undefined });
        expect(err.problems).toEqual([
          `${name}: CF_ACCESS_TEAM_DOMAIN, CF_ACCESS_AUD and CF_ACCESS_ADMIN_AUD are set together or not at all`,
        ]);
      },
    );

    it('refuses a tag that both applications would share, without showing it', () => {
      const env = access();
      const shared = tag();
      const err = configErrorFor({
        ...env,
        CF_ACCESS_AUD: `${env.CF_ACCESS_AUD},${shared}`,
        CF_ACCESS_ADMIN_AUD: shared,
      });
      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]).toMatch(/^CF_ACCESS_ADMIN_AUD: must not share an AUD tag/);
      expect(err.message).not.toContain(shared);
    });
  });
});
