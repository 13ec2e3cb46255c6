import { heartbeatAgeMs } from '@gatehouse/health';

export type BannerFacts = {
  gatewayUrl: string;
  /** The admin key on the run that generated it; undefined afterwards. */
  newAdminKey?: string;
  /** Where a generated admin key is kept (development). */
  secretsFile: string;
};

/** The gateway's base URL from its listen address (a wildcard bind is reached on loopback). */
export function gatewayBaseUrl(host: string, port: number): string {
  const reachable = ['0.0.0.0', '::', '[::]'].includes(host) ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * Resolves once the gateway answers /ready (Postgres and Redis reachable) and the worker and the
 * audit app have each written their heartbeat; false when that takes longer than `timeoutMs`.
 */
export async function waitUntilReady(
  gatewayUrl: string,
  heartbeats: readonly string[],
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const beating = heartbeats.every((file) => heartbeatAgeMs(file) !== undefined);
    if (beating) {
      try {
        const res = await fetch(`${gatewayUrl}/ready`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) return true;
      } catch {
        // not listening yet
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** One block: where everything is, and the next two commands to paste. */
export function readyBanner(facts: BannerFacts): string {
  const url = facts.gatewayUrl;
  const admin = facts.newAdminKey
    ? `ADMIN=${facts.newAdminKey}`
    : `ADMIN=... # ADMIN_API_KEY, or "ADMIN_API_KEY" in ${facts.secretsFile}`;
  return [
    '',
    '  Gatehouse is ready',
    `    gateway       ${url}`,
    `    console       ${url}/console/   (sign in with the admin key)`,
    `    queue board   ${url}/admin/queues   (any user name, the admin key as password)`,
    facts.newAdminKey
      ? `    admin key     ${facts.newAdminKey}   (shown on this first run only; kept in ${facts.secretsFile})`
      : `    admin key     ADMIN_API_KEY, or the one kept in ${facts.secretsFile}`,
    '',
    '  Next: an upstream account (its credential is sealed at once), then a client key',
    '',
    `    ${admin}`,
    `    curl -s -X POST ${url}/api/v1/admin/accounts -H "x-api-key: $ADMIN" -H 'content-type: application/json' \\`,
    `      -d '{"name":"openai","provider":"openai","base_url":"https://api.openai.com/v1","credential":"sk-...","models":["gpt-4o-mini"]}'`,
    `    curl -s -X POST ${url}/api/v1/admin/keys -H "x-api-key: $ADMIN" -H 'content-type: application/json' \\`,
    `      -d '{"name":"my app","allowed_models":["gpt-4o-mini"]}'`,
    '',
    '',
  ].join('\n');
}
