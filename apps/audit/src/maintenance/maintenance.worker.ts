import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import {
  bullPrefix,
  HEAD_JOB_NAME,
  QueueName,
  RedisRole,
  bullConnection,
  closeQueueClient,
  RETENTION_JOB_NAME,
  type RetentionJobData,
  VERIFY_JOB_NAME,
  type VerifyJobData,
} from '@gatehouse/queue';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { RetentionService } from '../retention/retention.service.js';
import { ChainVerifier } from '../verify/chain-verifier.js';

/**
 * Runs the jobs on `audit-maintenance`: retention (scheduled or asked for by an admin), and the
 * chain checks the admin API relays (verify, signed head), which need the chain key that only
 * this app holds. One at a time per replica: each is a long read or a transaction on the chain.
 */
@Injectable()
export class MaintenanceWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MaintenanceWorker.name);
  private worker: Worker | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly retention: RetentionService,
    private readonly verifier: ChainVerifier,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = new Worker(QueueName.auditMaintenance, (job) => this.process(job), {
      connection: bullConnection(this.config, RedisRole.queueWorker),
      prefix: bullPrefix(this.config.REDIS_KEY_PREFIX),
      concurrency: 1,
      lockDuration: 120_000,
    });
    this.worker.on('error', (err) =>
      this.logger.warn(`maintenance worker connection: ${err.message}`),
    );
    this.worker.on('failed', (job, err) =>
      this.logger.warn(`maintenance job ${job?.id ?? '?'} failed: ${err.message}`),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.worker) await closeQueueClient(this.worker);
  }

  private process(job: Job): Promise<unknown> {
    switch (job.name) {
      case RETENTION_JOB_NAME:
        return this.retention.runJob(job.data as RetentionJobData | undefined);
      case VERIFY_JOB_NAME:
        return this.verifier.verify(job.data as VerifyJobData | undefined);
      case HEAD_JOB_NAME:
        return this.verifier.head();
      default:
        throw new UnrecoverableError(`unknown maintenance job ${job.name}`);
    }
  }
}
