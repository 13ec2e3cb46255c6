import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from './spawn-app.js';
import { PROJECT_ROOT as ROOT } from './project-root.js';

/** The production config, as docker compose mounts it into the nginx image's templates dir. */
export const NGINX_TEMPLATE = resolve(ROOT, 'nginx/templates/gatehouse.conf.template');

/** The only variables the template may use: the interface docker-compose.yml fills in. */
export const TEMPLATE_VARIABLES = [
  'GATEWAY_UPSTREAM',
  'NGINX_RESOLVER',
  'NGINX_LISTEN',
  'MAX_BODY_SIZE',
  'REAL_IP_FROM',
  'NGINX_RATE_PER_SECOND',
  'NGINX_RATE_BURST',
  'NGINX_CONN_PER_IP',
] as const;

export type TemplateVariables = Record<(typeof TEMPLATE_VARIABLES)[number], string>;

/**
 * What the image's envsubst step does, limited to our names: `${NAME}` and `$NAME` are
 * replaced, every other `$word` (nginx's own variables) is left alone.
 */
export function renderTemplate(template: string, vars: TemplateVariables): string {
  const names = TEMPLATE_VARIABLES.join('|');
  const pattern = new RegExp(`\\$\\{(${names})\\}|\\$(${names})(?![A-Za-z0-9_])`, 'g');
  return template.replace(pattern, (_m, braced?: string, bare?: string) => {
    const name = (braced ?? bare) as keyof TemplateVariables;
    return vars[name];
  });
}

/** The nginx binary, or a failure that says how to get one: this suite must not skip silently. */
export function requireNginx(): string {
  const found = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) {
    throw new Error(
      'nginx is not installed, and the nginx e2e suite needs a real one. CI installs it ' +
        "(.ci/run, ensure_nginx: Debian's nginx package); locally run `apt-get install -y nginx`.",
    );
  }
  return path;
}

export type RunningNginx = {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The rendered conf.d file, as nginx reads it. */
  rendered: string;
  /** Exit code and output of `nginx -t` on this configuration. */
  configTest: { code: number | null; output: string };
  /** stdout/stderr of the nginx process (the JSON access log goes to stdout) and its error log. */
  output(): Promise<string>;
  stop(): Promise<void>;
};

export type NginxOptions = Partial<TemplateVariables> & { GATEWAY_UPSTREAM: string };

/**
 * Renders the production template into a temp dir, wraps it in a minimal main nginx.conf (the
 * image's `http {}` essentials; pid, logs and temp files in the temp dir), checks it with
 * `nginx -t` and runs nginx in the foreground on a free loopback port.
 */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const nginx = requireNginx();
  const port = await freePort();
  const vars: TemplateVariables = {
    NGINX_LISTEN: `127.0.0.1:${port}`,
    MAX_BODY_SIZE: '1m',
    // A loopback address that is not the test client: by default the client is an untrusted hop.
    REAL_IP_FROM: '127.0.0.2',
    NGINX_RATE_PER_SECOND: '100',
    NGINX_RATE_BURST: '200',
    NGINX_CONN_PER_IP: '50',
    // Compose's value (Docker's DNS), which nothing answers here: a test that names its gateway
    // by host name brings its own DNS server (support/dns-stub.ts). Address literals need none.
    NGINX_RESOLVER: '127.0.0.11',
    ...options,
  };
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-nginx-'));
  const rendered = renderTemplate(await readFile(NGINX_TEMPLATE, 'utf8'), vars);
  const conf = join(dir, 'nginx.conf');
  const errorLog = join(dir, 'error.log');
  await writeFile(join(dir, 'gatehouse.conf'), rendered);
  await writeFile(conf, mainConfig(dir));

  const args = ['-p', `${dir}/`, '-e', errorLog, '-c', conf];
  // Output to files, not pipes: Node's pipes are sockets, which nginx cannot open() as
  // /dev/stdout (the access log). In a container stdout is a FIFO and that works.
  const testLog = join(dir, 'configtest.log');
  const testFd = openSync(testLog, 'a');
  const test = spawnSync(nginx, ['-t', ...args], { stdio: ['ignore', testFd, testFd] });
  closeSync(testFd);
  const configTest = { code: test.status, output: await readFile(testLog, 'utf8') };
  if (configTest.code !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`nginx -t rejected the rendered config:\n${configTest.output}\n${rendered}`);
  }

  const stdoutLog = join(dir, 'stdout.log');
  const fd = openSync(stdoutLog, 'a');
  const child: ChildProcess = spawn(nginx, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const read = (file: string) => readFile(file, 'utf8').catch(() => '');
  const output = async () => `${await read(stdoutLog)}${await read(errorLog)}`;
  const stop = async () => {
    // SIGTERM lets the master stop its workers; a SIGKILLed master would leave them listening.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    await rm(dir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    // Any HTTP answer means nginx listens (the root path is nginx's own JSON 404).
    await waitFor(
      async () => (await fetch(`${url}/`)).status > 0,
      15_000,
      () => '',
      exited,
    );
  } catch (err) {
    const logs = await output();
    await stop();
    throw new Error(`nginx did not come up: ${(err as Error).message}\n${logs}`, { cause: err });
  }
  return { url, port, rendered, configTest, output, stop };
}

function mainConfig(dir: string): string {
  // What the nginx image's nginx.conf provides around conf.d, minus what would touch the system.
  const mimeTypes = existsSync('/etc/nginx/mime.types') ? 'include /etc/nginx/mime.types;' : '';
  // As root (CI), workers would otherwise run as nobody and could not use the 0700 temp dir.
  return `daemon off;
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;

events {
    worker_connections 512;
}

http {
    ${mimeTypes}
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;

    include ${dir}/gatehouse.conf;
}
`;
}
