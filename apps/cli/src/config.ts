import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync } from 'node:fs';
import { chmodSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { CliError, ExitCode } from './exit-codes.js';

/** Where the CLI talks to and with which admin key. The key never leaves this process but as a header. */
export type CliConfig = { url: URL; adminKey: string };

/** What the config file holds; either field may be overridden by the environment. */
export type ConfigFile = { url?: string; admin_key?: string };

const configFileSchema = z
  .object({ url: z.string().min(1).optional(), admin_key: z.string().min(1).optional() })
  .strict();

type Env = Readonly<Record<string, string | undefined>>;

/** `$GATEHOUSE_CONFIG`, else `$XDG_CONFIG_HOME/gatehouse/config.json`, else `~/.config/...`. */
export function configPath(env: Env = process.env): string {
  if (env.GATEHOUSE_CONFIG) return env.GATEHOUSE_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'gatehouse', 'config.json');
}

/**
 * Reads the config file, or undefined when there is none. Like ssh with a private key, it
 * refuses a file that another user owns or that group or others may read or write: the admin
 * key in it would not be the operator's alone. Mode and owner come from the open descriptor,
 * so the file checked is the file read.
 */
export function readConfigFile(path: string): ConfigFile | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(
      `Cannot read the config file ${path}: ${(err as Error).message}`,
      ExitCode.usage,
    );
  }
  try {
    assertPrivate(path, fstatSync(fd));
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(fd, 'utf8'));
    } catch {
      throw new CliError(`The config file ${path} is not valid JSON`, ExitCode.usage);
    }
    const result = configFileSchema.safeParse(parsed);
    if (!result.success) {
      // Names the fields only: a value could be the admin key.
      const fields = result.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
      throw new CliError(
        `The config file ${path} is not valid (fields: ${fields}); expected {"url": "...", "admin_key": "..."}`,
        ExitCode.usage,
      );
    }
    return result.data;
  } finally {
    closeSync(fd);
  }
}

/** The permission rule on its own, so it can be tested without touching the file system. */
export function assertPrivate(
  path: string,
  stat: { mode: number; uid: number },
  uid: number | undefined = process.getuid?.(),
): void {
  if (uid !== undefined && stat.uid !== uid) {
    throw new CliError(
      `Refusing to use the config file ${path}: it belongs to another user`,
      ExitCode.usage,
    );
  }
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new CliError(
      `Refusing to use the config file ${path}: its permissions ${mode.toString(8).padStart(4, '0')} ` +
        `let other users read it. It holds the admin key; run: chmod 600 ${path}`,
      ExitCode.usage,
    );
  }
}

/**
 * The URL and admin key: each from the environment (`GATEHOUSE_URL`, `GATEHOUSE_ADMIN_KEY`)
 * when set there, else from the config file. The file is not opened when the environment has both.
 */
export function resolveConfig(env: Env = process.env): CliConfig {
  const fromEnv = {
    url: env.GATEHOUSE_URL || undefined,
    adminKey: env.GATEHOUSE_ADMIN_KEY || undefined,
  };
  const file = fromEnv.url && fromEnv.adminKey ? undefined : readConfigFile(configPath(env));
  const url = fromEnv.url ?? file?.url;
  const adminKey = fromEnv.adminKey ?? file?.admin_key;
  if (!url) {
    throw new CliError(
      'No gateway URL: set GATEHOUSE_URL or run `gatehouse login`',
      ExitCode.usage,
    );
  }
  if (!adminKey) {
    throw new CliError(
      'No admin key: set GATEHOUSE_ADMIN_KEY or run `gatehouse login`',
      ExitCode.usage,
    );
  }
  return { url: gatewayUrl(url, env), adminKey };
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The gateway's base URL. Plain http would send the admin key in the clear, so it is accepted
 * only for a loopback address (the gateway or nginx on this machine) unless
 * GATEHOUSE_ALLOW_HTTP=1 says the network in between is trusted.
 */
export function gatewayUrl(raw: string, env: Env = process.env): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`The gateway URL is not a URL: ${raw}`, ExitCode.usage);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CliError('The gateway URL must start with https:// or http://', ExitCode.usage);
  }
  if (url.username || url.password) {
    throw new CliError('The gateway URL must not contain a user name or password', ExitCode.usage);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith('127.');
  if (url.protocol === 'http:' && !loopback && env.GATEHOUSE_ALLOW_HTTP !== '1') {
    throw new CliError(
      `Refusing to send the admin key over plain http to ${url.host}: use https://, ` +
        'or set GATEHOUSE_ALLOW_HTTP=1 if the network in between is trusted',
      ExitCode.usage,
    );
  }
  return url;
}

/**
 * Writes the config file with mode 0600 (its directory 0700): to a new file first, then renamed
 * over the old one, so the key is never in a file with wider permissions, even briefly.
 */
export function writeConfigFile(path: string, config: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(temp, 0o600); // the umask can only remove bits; make the mode exact
  renameSync(temp, path);
}
