import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/**
 * `docker compose up --scale gateway=N --scale proxy-worker=M`, checked without a Docker engine:
 * nothing in docker-compose.yml pins an app to one container, and nginx finds the gateway
 * replicas by name while it runs. test/nginx-replicas.e2e-spec.ts runs the rendered template
 * against several gateways; docs/scaling.md is held to what compose can do.
 */

const ROOT = resolve(import.meta.dirname, '..');

type Service = {
  container_name?: string;
  hostname?: string;
  ports?: unknown[];
  volumes?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
};
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, Service> };
const { services } = compose;
const template = readFileSync(join(ROOT, 'nginx/templates/gatehouse.conf.template'), 'utf8');
const scaling = readFileSync(join(ROOT, 'docs/scaling.md'), 'utf8');

/** The services an operator scales; audit could be, and is held to the same rules. */
const SCALABLE = ['gateway', 'proxy-worker', 'audit'] as const;

describe('docker-compose.yml with several replicas', () => {
  it('pins no app to one container: no name, host name, published port or fixed address', () => {
    for (const name of SCALABLE) {
      const s = services[name];
      const nets = s?.networks ?? [];
      const fixedAddresses = Array.isArray(nets)
        ? []
        : Object.values(nets).filter((n) => n?.ipv4_address !== undefined);
      expect({
        name,
        container_name: s?.container_name,
        hostname: s?.hostname,
        ports: s?.ports ?? [],
        fixedAddresses,
        replicas: s?.deploy?.replicas,
      }).toEqual({
        name,
        container_name: undefined,
        hostname: undefined,
        ports: [],
        fixedAddresses: [],
        replicas: undefined,
      });
      // Nothing on disk that two replicas would share or fight over.
      expect([name, s?.volumes ?? []]).toEqual([name, []]);
    }
  });

  it('points nginx at the gateway service by name, looked up through Docker DNS', () => {
    const env = services.nginx?.environment ?? {};
    // The service name resolves to every replica; a container name would pin one.
    expect(env.GATEWAY_UPSTREAM).toBe('gateway:3000');
    expect(env.NGINX_RESOLVER).toBe('127.0.0.11');
  });

  it('has nginx re-resolve the gateway while it runs, and proxy by that name only', () => {
    // An answer is kept a few seconds, so replicas added or removed are followed quickly.
    const resolver = /^\s*resolver \$\{NGINX_RESOLVER\} valid=(\d+)s\b/m.exec(template);
    expect(resolver).not.toBeNull();
    expect(Number(resolver?.[1])).toBeLessThanOrEqual(10);
    // A variable in proxy_pass is resolved per request through that resolver; a host name
    // written there would be looked up once at start, and an upstream block re-resolves only
    // with `server … resolve`, which the Debian nginx (1.22) the tests run refuses.
    const targets = [...template.matchAll(/^\s*proxy_pass\s+([^;]+);/gm)].map((m) => m[1]);
    expect(targets.length).toBeGreaterThan(0);
    expect([...new Set(targets)]).toEqual(['http://$gatehouse_gateway']);
    expect(template).toMatch(/^\s*set \$gatehouse_gateway "\$\{GATEWAY_UPSTREAM\}";/m);
    expect(template).not.toMatch(/^\s*upstream\s/m);
  });

  it('documents the scale-out that compose accepts, and how to keep it', () => {
    const command = /docker compose up -d( --scale [a-z-]+=\d+)+/.exec(scaling)?.[0] ?? '';
    const scaled = [...command.matchAll(/--scale ([a-z-]+)=(\d+)/g)].map((m) => m[1]);
    expect(scaled).toEqual(['gateway', 'proxy-worker']);
    // The override example scales services that exist, with nothing else in it.
    const blocks = [...scaling.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap((m) =>
      parseAllDocuments(m[1] ?? '').map((d) => d.toJS() as Record<string, unknown>),
    );
    const override = blocks.find((b) => 'services' in b) as
      { services: Record<string, Service> } | undefined;
    expect(Object.keys(override?.services ?? {})).toEqual(['gateway', 'proxy-worker']);
    for (const [name, s] of Object.entries(override?.services ?? {})) {
      expect([name, s]).toEqual([name, { deploy: { replicas: expect.any(Number) as unknown } }]);
      expect(services[name]).toBeDefined();
    }
    expect(scaling).toContain('(redis-topologies.md)');
    // Sizing figures come with where they were measured: the bench and the chaos run.
    const sizing = scaling.slice(scaling.indexOf('## Sizing'));
    expect(sizing).toContain('npm run chaos');
    expect(sizing).toContain('npm run bench');
  });
});
