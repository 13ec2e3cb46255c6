import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { AsyncJob } from '@gatehouse/db';
import { BroadcastEvent, QueueName, BroadcastPublisher } from '@gatehouse/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { In, type Repository } from 'typeorm';

/**
 * A revoked key's async jobs that have not finished: marked failed (so a worker that picks one
 * up later skips it), taken off the queue while they wait, and aborted where a worker runs
 * them (the proxy.cancel broadcast reaches every worker).
 */
@Injectable()
export class RevokedKeyJobs {
  private readonly logger = new Logger(RevokedKeyJobs.name);

  constructor(
    @InjectRepository(AsyncJob) private readonly jobs: Repository<AsyncJob>,
    @InjectQueue(QueueName.proxy) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly broadcast: BroadcastPublisher,
  ) {}

  async cancelUnfinished(keyId: string): Promise<number> {
    const completedAt = new Date();
    const expiresAt = new Date(
      completedAt.getTime() + this.config.JOB_RESULT_TTL_HOURS * 3_600_000,
    );
    const result = await this.jobs
      .createQueryBuilder()
      .update(AsyncJob)
      .set({
        status: 'failed',
        error: { status: 403, type: 'key_revoked', message: 'The key was revoked' },
        completedAt,
        expiresAt,
      })
      .where({ keyId, status: In(['queued', 'active']) })
      .returning(['id'])
      .execute();
    const ids = (result.raw as { id: string }[]).map((row) => row.id);
    for (const id of ids) {
      try {
        await this.broadcast.publish(BroadcastEvent.proxyCancel, { requestId: id });
        await this.queue.remove(id).catch(() => 0); // refused while a worker holds it
      } catch (err) {
        this.logger.warn(`could not cancel job ${id}: ${(err as Error).message}`);
      }
    }
    return ids.length;
  }
}
