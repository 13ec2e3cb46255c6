import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { BroadcastEvent, BroadcastServer } from '@gatehouse/queue';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AccountPool } from '../accounts/account-pool.service.js';
import { AccountState } from '../accounts/account-state.js';
import { AccessKeysRelay } from '../cf-access/access-keys-relay.service.js';
import { ProxyWorkerService } from '../proxy/proxy-worker.service.js';

/**
 * Listens for broadcasts (Redis transport): client cancellations, account changes and other
 * workers' account cooldowns.
 */
@Injectable()
export class WorkerBroadcasts implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerBroadcasts.name);
  private readonly server: BroadcastServer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    worker: ProxyWorkerService,
    pool: AccountPool,
    state: AccountState,
    accessKeys: AccessKeysRelay,
  ) {
    this.server = new BroadcastServer(config);
    this.server.receive(BroadcastEvent.proxyCancel, (payload) => {
      if (typeof payload?.requestId === 'string') worker.cancel(payload.requestId);
    });
    this.server.receive(BroadcastEvent.accountCooldown, (payload) => {
      const { accountId, ms } = payload ?? {};
      if (typeof accountId === 'string' && typeof ms === 'number') state.note(accountId, ms);
    });
    this.server.receive(BroadcastEvent.cfAccessKeysRefresh, () => accessKeys.requestRefresh());
    this.server.receive(BroadcastEvent.accountChanged, (payload) =>
      // The account is dropped at once; the reload brings it back if it is still active.
      pool.changed(typeof payload?.accountId === 'string' ? payload.accountId : undefined),
    );
    // Changes announced while we were disconnected were missed: reload on every (re)connect
    // (the account cooldowns are read again after each reload).
    this.server.on('ready', () => void pool.reload().catch(() => undefined));
  }

  async onApplicationBootstrap(): Promise<void> {
    await new Promise<void>((resolve) => {
      void this.server.listen((err?: unknown) => {
        if (err)
          this.logger.warn(`broadcast listener not connected yet: ${(err as Error).message}`);
        resolve();
      });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.close();
  }
}
