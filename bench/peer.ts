/**
 * The benchmark's peer (`BENCH_PEERS=portkey`): Portkey's open-source gateway, installed on demand
 * with npm into a folder of its own (never a dependency of this project, nothing of it in the
 * repository), started on loopback in front of the bench's mock upstream and measured with the
 * same load in the same run.
 *
 * The folder is `BENCH_PEER_DIR` when set (kept, and an install already there is reused), else a
 * fresh temporary directory removed at exit. Version 1.15.2 is pinned, with `@hono/node-server`
 * pinned to 1.14.1 through `overrides` (1.14.2+ breaks its streaming with `TypeError: immutable`).
 *
 * Its published entry point (build/start-server.js) calls `serve({ fetch, port })` from
 * `@hono/node-server`, which listens on all interfaces, and does not export its app. It is started
 * through a small wrapper written into the folder: a module resolve hook hands that one import a
 * `serve` that adds `hostname: '127.0.0.1'` and says so on stderr; the bench refuses the peer
 * unless it saw that line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpTarget } from './load.js';
import { type Child, freePort, spawnNode, waitFor } from './system.js';

export const PORTKEY_VERSION = '1.15.2';
const HONO_NODE_SERVER_VERSION = '1.14.1';
const INSTALL_TIMEOUT_MS = 5 * 60_000;
const LOOPBACK_LINE = 'gatehouse-bench: serving on 127.0.0.1';

const ENTRY = 'node_modules/@portkey-ai/gateway/build/start-server.js';

/** Resolve hook: Portkey's entry point gets the loopback `serve`, everything else is untouched. */
const HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier === '@hono/node-server' && context.parentURL?.endsWith('/@portkey-ai/gateway/build/start-server.js')) {
    return { url: new URL('./loopback-serve.mjs', import.meta.url).href, shortCircuit: true };
  }
  return next(specifier, context);
}
`;

const LOOPBACK_SERVE = `import { serve as honoServe } from '@hono/node-server';
export * from '@hono/node-server';
export function serve(options, listening) {
  process.stderr.write(${JSON.stringify(`${LOOPBACK_LINE}\n`)});
  return honoServe({ ...options, hostname: '127.0.0.1' }, listening);
}
`;

const START = `import { register } from 'node:module';
register('./loopback-hooks.mjs', import.meta.url);
await import('./${ENTRY}');
`;

export type Peer = {
  /** Column and log name. */
  name: string;
  /** Name and version, for the report. */
  label: string;
  child: Child;
  /** The request `target` would send to Gatehouse, sent through the peer to the mock at `base`. */
  target(base: string, body: string): HttpTarget;
};

function installedVersion(dir: string, pkg: string): string | undefined {
  try {
    const json = JSON.parse(
      readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8'),
    ) as { version?: unknown };
    return typeof json.version === 'string' ? json.version : undefined;
  } catch {
    return undefined;
  }
}

export class PortkeyPeer {
  private installing: { npm: ChildProcess; closed: Promise<unknown> } | undefined;
  private child: Child | undefined;
  private cleaned: Promise<void> | undefined;

  private constructor(
    readonly dir: string,
    private readonly owned: boolean,
    private readonly log: (line: string) => void,
  ) {}

  /** The folder from BENCH_PEER_DIR (created if missing, kept) or a new temporary one. */
  static create(log: (line: string) => void): PortkeyPeer {
    const fromEnv = process.env.BENCH_PEER_DIR;
    if (fromEnv !== undefined && fromEnv !== '') {
      mkdirSync(fromEnv, { recursive: true });
      return new PortkeyPeer(fromEnv, false, log);
    }
    return new PortkeyPeer(mkdtempSync(join(tmpdir(), 'gatehouse-bench-portkey-')), true, log);
  }

  private installed(): boolean {
    return (
      installedVersion(this.dir, '@portkey-ai/gateway') === PORTKEY_VERSION &&
      installedVersion(this.dir, '@hono/node-server') === HONO_NODE_SERVER_VERSION
    );
  }

  /** npm install into the folder unless the pinned versions are already there; throws why not. */
  async install(): Promise<void> {
    if (this.installed()) {
      this.log(`Portkey ${PORTKEY_VERSION}: reusing the install in ${this.dir}`);
      return;
    }
    writeFileSync(
      join(this.dir, 'package.json'),
      `${JSON.stringify(
        {
          name: 'gatehouse-bench-peer',
          private: true,
          description: 'Installed by npm run bench (BENCH_PEERS=portkey); safe to delete.',
          dependencies: { '@portkey-ai/gateway': PORTKEY_VERSION },
          overrides: { '@hono/node-server': HONO_NODE_SERVER_VERSION },
        },
        null,
        2,
      )}\n`,
    );
    this.log(`Portkey ${PORTKEY_VERSION}: npm install into ${this.dir}`);
    const started = performance.now();
    // Install scripts are not run: Portkey's only one is patch-package, with nothing to patch.
    const args = ['install', '--prefix', this.dir, '--no-audit', '--no-fund', '--ignore-scripts'];
    args.push('--cache', join(this.dir, '.npm-cache'));
    const npm = spawn('npm', args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer) => {
      out = (out + d.toString()).slice(-16_384);
    };
    npm.stdout.on('data', keep);
    npm.stderr.on('data', keep);
    const timer = setTimeout(() => npm.kill('SIGTERM'), INSTALL_TIMEOUT_MS);
    const closed = new Promise<{ code: number | null; signal: string | null }>((res) => {
      npm.once('error', (err) => {
        out += `\n${err.message}`;
        res({ code: null, signal: null });
      });
      npm.once('close', (code, signal) => res({ code, signal }));
    });
    this.installing = { npm, closed };
    const result = await closed.finally(() => {
      clearTimeout(timer);
      this.installing = undefined;
    });
    if (this.cleaned) throw new Error('npm install stopped: the bench is ending');
    if (result.code !== 0 || !this.installed()) {
      const lines = out.trim().split('\n');
      for (const line of lines.slice(-12)) this.log(`  npm: ${line}`);
      if (this.owned) this.log(`  (${this.dir} is removed at exit; BENCH_PEER_DIR keeps it)`);
      const why = result.signal ?? (result.code === null ? 'could not run' : `code ${result.code}`);
      const firstError = lines.find((l) => l.startsWith('npm error')) ?? lines.at(-1) ?? '';
      throw new Error(`npm install ended with ${why}${firstError ? `: ${firstError}` : ''}`);
    }
    this.log(`  installed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  /**
   * Starts it on a free loopback port; resolves once a request through it to the mock at
   * `probeBase` was answered and it confirmed the loopback-only listen.
   */
  async start(probeBase: string): Promise<Peer> {
    writeFileSync(join(this.dir, 'loopback-hooks.mjs'), HOOKS);
    writeFileSync(join(this.dir, 'loopback-serve.mjs'), LOOPBACK_SERVE);
    writeFileSync(join(this.dir, 'start.mjs'), START);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // A test value made up for this run: the mock accepts any bearer token.
    const apiKey = `sk-peer-${randomBytes(16).toString('hex')}`;
    const target = (base: string, body: string): HttpTarget => ({
      url: `${url}/v1/chat/completions`,
      headers: {
        authorization: `Bearer ${apiKey}`,
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': base,
      },
      body,
    });
    const child = spawnNode('portkey', join(this.dir, 'start.mjs'), {}, [], {
      args: [`--port=${port}`, '--headless'],
      cwd: this.dir,
    });
    this.child = child;
    const probe = target(
      probeBase,
      JSON.stringify({ model: 'bench-probe', messages: [{ role: 'user', content: 'hi' }] }),
    );
    await waitFor(
      `Portkey on ${url}`,
      async () => {
        const res = await fetch(probe.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...probe.headers },
          body: probe.body,
          signal: AbortSignal.timeout(5_000),
        });
        await res.arrayBuffer();
        return res.ok;
      },
      30_000,
      child,
    );
    if (!child.output().includes(LOOPBACK_LINE)) {
      await child.stop();
      throw new Error(
        `it answered without going through the loopback-only serve() (its entry point changed?)`,
      );
    }
    this.log(`Portkey ${PORTKEY_VERSION} up on ${url} (pid ${child.child.pid})`);
    return { name: 'Portkey', label: `Portkey ${PORTKEY_VERSION}`, child, target };
  }

  /** Stops the install or the server, and removes the folder unless it came from BENCH_PEER_DIR. */
  cleanup(): Promise<void> {
    return (this.cleaned ??= (async () => {
      const installing = this.installing;
      if (installing) {
        installing.npm.kill('SIGTERM');
        await installing.closed; // before its folder is removed
      }
      await this.child?.stop().catch(() => undefined);
      if (this.owned) {
        try {
          rmSync(this.dir, { recursive: true, force: true });
        } catch (err) {
          this.log(`could not remove ${this.dir}: ${(err as Error).message}`);
        }
      }
    })());
  }
}
