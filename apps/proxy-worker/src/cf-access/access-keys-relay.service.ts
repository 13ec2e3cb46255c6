import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  CF_ACCESS_KEYS_REFRESH_INTERVAL_MS,
  cfAccessKeysKey,
  InjectRedis,
  type RedisClient,
} from '@gatehouse/queue';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

const REFRESH_EVERY_MS = 5 * 60_000;
/** Gateways keep using the last keys this long if Cloudflare cannot be reached. */
const KEEP_SECONDS = 6 * 3600;
const FETCH_TIMEOUT_MS = 5_000;

/**
 * Fetches the Cloudflare Access signing keys and shares them with the gateways over Redis,
 * when CF_ACCESS_JWKS_SOURCE=relay: the gateway has no route to the internet, this app does.
 */
@Injectable()
export class AccessKeysRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AccessKeysRelay.name);
  private readonly url: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastFetch = 0;
  private inFlight: Promise<void> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRedis() private readonly redis: RedisClient,
  ) {
    const team = config.CF_ACCESS_TEAM_DOMAIN;
    this.url =
      team && config.CF_ACCESS_JWKS_SOURCE === 'relay'
        ? (config.CF_ACCESS_JWKS_URL ?? `https://${team}/cdn-cgi/access/certs`)
        : undefined;
  }

  onApplicationBootstrap(): void {
    if (!this.url) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * A gateway saw a key id it does not hold (Cloudflare rotated): fetch again, at most once per
   * interval whatever the number of gateways asking.
   */
  requestRefresh(): void {
    if (this.url && Date.now() - this.lastFetch >= CF_ACCESS_KEYS_REFRESH_INTERVAL_MS)
      void this.refresh();
  }

  private refresh(): Promise<void> {
    this.inFlight ??= this.fetchAndShare().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async fetchAndShare(): Promise<void> {
    if (!this.url) return;
    this.lastFetch = Date.now();
    try {
      const res = await fetch(this.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as { keys?: unknown };
      if (!Array.isArray(body.keys) || body.keys.length === 0)
        throw new Error('no keys in the set');
      const keys = body.keys.filter(
        (k): k is Record<string, unknown> => typeof k === 'object' && k !== null,
      );
      await this.redis.set(
        cfAccessKeysKey(this.config.REDIS_KEY_PREFIX),
        JSON.stringify({ keys }),
        'EX',
        KEEP_SECONDS,
      );
    } catch (err) {
      this.logger.warn(`could not fetch the Access signing keys: ${(err as Error).message}`);
    }
  }
}
