import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertPrivate,
  configPath,
  gatewayUrl,
  readConfigFile,
  resolveConfig,
  writeConfigFile,
} from './config.js';
import { CliError, ExitCode } from './exit-codes.js';

function thrown(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a CliError');
}

describe('assertPrivate', () => {
  const uid = 1000;

  it.each([0o600, 0o400, 0o700])('accepts mode %o owned by the user', (mode) => {
    expect(() => assertPrivate('/c.json', { mode: 0o100000 | mode, uid }, uid)).not.toThrow();
  });

  it.each([0o644, 0o640, 0o604, 0o660, 0o620, 0o602, 0o666])(
    'refuses mode %o: group or others may read or write the admin key',
    (mode) => {
      const err = thrown(() => assertPrivate('/c.json', { mode: 0o100000 | mode, uid }, uid));
      expect(err.exitCode).toBe(ExitCode.usage);
      expect(err.message).toContain(`permissions 0${mode.toString(8)}`);
      expect(err.message).toContain('chmod 600 /c.json');
    },
  );

  it('refuses a file another user owns, whatever its mode', () => {
    const err = thrown(() => assertPrivate('/c.json', { mode: 0o100600, uid: 0 }, uid));
    expect(err.message).toMatch(/belongs to another user/);
  });
});

describe('the config file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const secret = () => `k-${Math.random().toString(36).slice(2)}`;

  it('is read when only its owner can read it, and refused once others can', () => {
    const path = join(dir, 'config.json');
    const key = secret();
    writeFileSync(path, JSON.stringify({ url: 'https://gw.example', admin_key: key }));
    chmodSync(path, 0o600);
    expect(readConfigFile(path)).toEqual({ url: 'https://gw.example', admin_key: key });
    chmodSync(path, 0o644);
    expect(thrown(() => readConfigFile(path)).exitCode).toBe(ExitCode.usage);
  });

  it('is simply absent when there is no file', () => {
    expect(readConfigFile(join(dir, 'none.json'))).toBeUndefined();
  });

  it('names bad fields, never their values', () => {
    const path = join(dir, 'config.json');
    const key = secret();
    writeFileSync(path, JSON.stringify({ admin_key: 42, token: key }), { mode: 0o600 });
    const err = thrown(() => readConfigFile(path));
    expect(err.message).toMatch(/admin_key/);
    expect(err.message).not.toContain(key);
  });

  it('is written with mode 0600 in a 0700 directory, replacing the old one', () => {
    const path = join(dir, 'gatehouse', 'config.json');
    writeConfigFile(path, { url: 'https://a.example', admin_key: 'one' });
    writeConfigFile(path, { url: 'https://b.example', admin_key: 'two' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'gatehouse')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      url: 'https://b.example',
      admin_key: 'two',
    });
  });

  it('lives under XDG_CONFIG_HOME unless GATEHOUSE_CONFIG names it', () => {
    expect(configPath({ XDG_CONFIG_HOME: '/x' })).toBe('/x/gatehouse/config.json');
    expect(configPath({ XDG_CONFIG_HOME: '/x', GATEHOUSE_CONFIG: '/y.json' })).toBe('/y.json');
  });

  it('gives way to the environment, field by field', () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ url: 'https://file.example', admin_key: 'from-file' }), {
      mode: 0o600,
    });
    const base = { GATEHOUSE_CONFIG: path };
    expect(resolveConfig({ ...base, GATEHOUSE_URL: 'https://env.example' })).toEqual({
      url: new URL('https://env.example'),
      adminKey: 'from-file',
    });
    expect(resolveConfig({ ...base, GATEHOUSE_ADMIN_KEY: 'from-env' }).adminKey).toBe('from-env');
  });

  it('is not opened when the environment has both values', () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, '{}', { mode: 0o644 }); // would be refused if read
    chmodSync(path, 0o644);
    expect(
      resolveConfig({
        GATEHOUSE_CONFIG: path,
        GATEHOUSE_URL: 'https://env.example',
        GATEHOUSE_ADMIN_KEY: 'k',
      }).adminKey,
    ).toBe('k');
  });
});

describe('gatewayUrl', () => {
  it('accepts https anywhere and http on loopback', () => {
    expect(gatewayUrl('https://ai.example.com', {}).host).toBe('ai.example.com');
    expect(gatewayUrl('http://127.0.0.1:3000', {}).port).toBe('3000');
    expect(gatewayUrl('http://localhost', {}).hostname).toBe('localhost');
    expect(gatewayUrl('http://[::1]:80', {}).hostname).toBe('[::1]');
  });

  it('refuses plain http to another host unless GATEHOUSE_ALLOW_HTTP=1', () => {
    expect(thrown(() => gatewayUrl('http://gw.internal', {})).message).toMatch(/plain http/);
    expect(gatewayUrl('http://gw.internal', { GATEHOUSE_ALLOW_HTTP: '1' }).host).toBe(
      'gw.internal',
    );
  });

  it('refuses user info and other schemes', () => {
    expect(thrown(() => gatewayUrl('https://u:p@gw.example', {})).exitCode).toBe(ExitCode.usage);
    expect(thrown(() => gatewayUrl('ftp://gw.example', {})).exitCode).toBe(ExitCode.usage);
    expect(thrown(() => gatewayUrl('not a url', {})).exitCode).toBe(ExitCode.usage);
  });
});
