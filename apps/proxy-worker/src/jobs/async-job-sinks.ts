import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { AsyncJob } from '@gatehouse/db';
import type { ProxyReply } from '@gatehouse/queue';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import type { ReplySink } from '../replies/reply-sink.js';

export type FinishedOutcome = {
  ok: boolean;
  status: number | null;
  usage: { input: number; output: number } | null;
};

/**
 * Async jobs end in their Postgres row: `active` when a worker starts, then `completed` with the
 * (size-capped) result or `failed` with the error. Only an unfinished row is updated, so a job
 * run twice after a worker crash cannot overwrite its first outcome.
 */
@Injectable()
export class AsyncJobSinks {
  constructor(
    @InjectRepository(AsyncJob) private readonly jobs: Repository<AsyncJob>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The job's sink, or undefined when its row is gone or already finished. */
  async forJob(jobId: string): Promise<ReplySink | undefined> {
    const started = await this.jobs.update(
      { id: jobId, status: In(['queued', 'active']) },
      { status: 'active', startedAt: new Date() },
    );
    if (!started.affected) return undefined;
    return { send: (reply) => this.finish(jobId, reply) };
  }

  /** A finished job's outcome as its row keeps it, or undefined while it is unfinished. */
  async finishedOutcome(jobId: string): Promise<FinishedOutcome | undefined> {
    const row = await this.jobs.findOne({
      where: { id: jobId },
      select: { status: true, upstreamStatus: true, error: true, usage: true },
    });
    if (!row || (row.status !== 'completed' && row.status !== 'failed')) return undefined;
    const errorStatus = typeof row.error?.status === 'number' ? row.error.status : null;
    return {
      ok: row.status === 'completed',
      status: row.upstreamStatus ?? errorStatus,
      usage: row.usage,
    };
  }

  /** For a job BullMQ gave up on (crashed too often, or the processor threw). */
  async failIfUnfinished(
    jobId: string,
    failure: Extract<ProxyReply, { type: 'error' }>,
  ): Promise<void> {
    await this.finish(jobId, failure);
  }

  private async finish(jobId: string, reply: ProxyReply): Promise<void> {
    if (reply.type !== 'result' && reply.type !== 'error') return; // async jobs never stream
    const completedAt = new Date();
    const expiresAt = new Date(completedAt.getTime() + this.config.JOB_RESULT_TTL_HOURS * 3600_000);
    const unfinished = { id: jobId, status: In(['queued', 'active']) };
    if (reply.type === 'error') {
      await this.jobs.update(unfinished, {
        status: 'failed',
        error: {
          status: reply.status,
          type: reply.errorType,
          message: reply.message,
          ...(reply.retryAfter !== undefined && { retry_after: reply.retryAfter }),
        },
        completedAt,
        expiresAt,
      });
      return;
    }
    const tooLarge = Buffer.byteLength(reply.body) > this.config.JOB_RESULT_MAX_BYTES;
    const parsed = tooLarge ? null : parseJson(reply.body);
    const ok = reply.status < 300;
    await this.jobs.update(unfinished, {
      status: ok ? 'completed' : 'failed',
      upstreamStatus: reply.status,
      result: ok ? parsed : null,
      resultTruncated: tooLarge,
      error: ok
        ? tooLarge
          ? {
              type: 'result_too_large',
              message: 'The result exceeded JOB_RESULT_MAX_BYTES and was not kept',
            }
          : null
        : { status: reply.status, type: 'upstream_error', body: parsed ?? undefined },
      usage: reply.usage ?? null,
      completedAt,
      expiresAt,
    });
  }
}

function parseJson(text: string): object {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : { value };
  } catch {
    return { text };
  }
}
