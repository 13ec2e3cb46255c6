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
import { AccessKeysRelay } from '../cf-access/access-keys-relay.service.js';
import { ProxyWorkerService } from '../proxy/proxy-worker.service.js';

/** Listens for broadcasts (Redis transport): client cancellations and account changes. */
@Injectable()
export class WorkerBroadcasts implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerBroadcasts.name);
  private readonly server: BroadcastServer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    worker: ProxyWorkerService,
    pool: AccountPool,
    accessKeys: AccessKeysRelay,
  ) {
    this.server = new BroadcastServer(config);
    this.server.receive(BroadcastEvent.proxyCancel, (payload) => {
      if (typeof payload?.requestId === 'string') worker.cancel(payload.requestId);
    });
    this.server.receive(BroadcastEvent.cfAccessKeysRefresh, () => accessKeys.requestRefresh());
    this.server.receive(BroadcastEvent.accountChanged, (payload) =>
      // The account is dropped at once; the reload brings it back if it is still active.
      pool.changed(typeof payload?.accountId === 'string' ? payload.accountId : undefined),
    );
    // Changes announced while we were disconnected were missed: reload on every (re)connect.
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
