import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { AsyncJob, type AsyncJobStatus } from '@gatehouse/db';
import { type PiiMapping, restoreJsonText } from '@gatehouse/pii';
import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { GatewayAudit } from '../audit-trail/gateway-audit.service.js';
import type { FastifyRequest } from 'fastify';
import { Admission } from '../admission/admission.service.js';
import { RateLimited, tighter, waitSeconds } from '../admission/limit-state.js';
import type { HeldReservation } from '../budgets/budget-reservations.js';
import { PriceBook } from '../prices/price-book.service.js';
import { PiiMasking } from '../pii/pii-masking.service.js';
import { PiiVault } from '../pii/pii-vault.js';
import { rateLimitSubject } from '../http/client-ip.js';
import { randomUUID } from 'node:crypto';
import { QueryFailedError, type Repository } from 'typeorm';
import type { ClientKey } from '../auth/principal.js';
import { proxyJobData } from '../proxy/proxy-job-data.js';
import { ProxyQueue } from '../proxy/proxy-queue.service.js';
import { ProxyRequestPolicy } from '../proxy/proxy-request-policy.js';
import { RedisThrottlerStorage } from '../throttle/redis-throttler.storage.js';
import type { CreateJobDto } from './dto/create-job.dto.js';
import { type JobSummary, type JobView, toJobSummary, toJobView } from './job-view.js';
import { jobRequestHash } from './request-hash.js';
import { decodeTimeCursor, encodeTimeCursor } from '../pagination/cursor.js';
import { keysetPage, type Page } from '../pagination/keyset-page.js';

export type SubmittedJob = { id: string; status: AsyncJobStatus; replayed: boolean };
export type JobPage = Page<JobSummary>;

const SUBMISSION_WINDOW_MS = 60_000;
const IDEMPOTENCY_INDEX = 'jobs_key_idempotency_uq';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The columns a list shows; results and errors can be large and are left in the database. */
const SUMMARY_COLUMNS: (keyof AsyncJob)[] = [
  'id',
  'status',
  'endpoint',
  'model',
  'createdAt',
  'startedAt',
  'completedAt',
  'expiresAt',
  'resultTruncated',
  'upstreamStatus',
  'usage',
];

/** How long accepting a job waits for its job.created record to be queued (Redis trouble). */
const JOB_RECORD_WAIT_MS = 2_000;

/**
 * Async proxy requests: a row in `jobs` owned by the submitting key, and a job on the `proxy`
 * queue whose worker writes the outcome into that row. A job whose result expired is gone as far
 * as the API is concerned, whether or not retention has deleted the row yet.
 */
@Injectable()
export class JobsService {
  private readonly logger = new Logger(JobsService.name);

  constructor(
    @InjectRepository(AsyncJob) private readonly jobs: Repository<AsyncJob>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly policy: ProxyRequestPolicy,
    private readonly queue: ProxyQueue,
    private readonly limits: RedisThrottlerStorage,
    private readonly audit: GatewayAudit,
    private readonly admission: Admission,
    private readonly prices: PriceBook,
    private readonly pii: PiiMasking,
    private readonly vault: PiiVault,
  ) {}

  async submit(
    key: ClientKey,
    dto: CreateJobDto,
    idempotencyKey: string | undefined,
    req: FastifyRequest,
  ): Promise<SubmittedJob> {
    const requestHash = jobRequestHash(dto.endpoint, dto.body);
    if (idempotencyKey !== undefined) {
      // A replay is answered before any limit is counted: retrying a submission is free.
      const existing = await this.findByIdempotencyKey(key.id, idempotencyKey);
      if (existing) return replay(existing, requestHash);
    }
    if (dto.body.stream === true) {
      throw new BadRequestException(
        'body.stream: async jobs return one result; omit stream or set it to false',
      );
    }
    const { model, body } = this.policy.admit(dto.endpoint, key, dto.body);
    try {
      await this.countSubmission(key, req);
    } catch (err) {
      // Over the limit because a concurrent twin of this request was counted first: replay it.
      const twin =
        idempotencyKey === undefined
          ? undefined
          : await this.findByIdempotencyKey(key.id, idempotencyKey);
      if (!twin) throw err;
      return replay(twin, requestHash);
    }

    // Masked (or refused) before anything is reserved or stored.
    const masked = this.pii.apply(key, dto.endpoint, body, req.auditContext);
    const jobId = randomUUID();
    // Someone may poll for the outcome until its result would expire.
    const deadline = Date.now() + this.config.JOB_RESULT_TTL_HOURS * 3_600_000;
    const reservation = await this.admission.reserve(req, key, {
      endpoint: dto.endpoint,
      body: dto.body,
      requestId: jobId,
      leaseEndsAt: deadline,
    });
    try {
      const admitted = { jobId, model, body: masked.body, deadline, requestHash };
      return await this.queueJob(key, dto, req, admitted, masked.mapping, {
        idempotencyKey,
        reservation,
      });
    } finally {
      reservation?.release(); // unless the queued job took it
    }
  }

  private async queueJob(
    key: ClientKey,
    dto: CreateJobDto,
    req: FastifyRequest,
    admitted: {
      jobId: string;
      model: string;
      body: Record<string, unknown>;
      deadline: number;
      requestHash: string;
    },
    mapping: PiiMapping,
    { idempotencyKey, reservation }: { idempotencyKey?: string; reservation?: HeldReservation },
  ): Promise<SubmittedJob> {
    const { jobId, model, body, deadline, requestHash } = admitted;
    const job = {
      id: jobId,
      keyId: key.id,
      endpoint: dto.endpoint,
      model,
      status: 'queued' as const,
      idempotencyKey: idempotencyKey ?? null,
      requestHash,
      // Set here, not by now(): millisecond precision keeps the list cursor exact.
      createdAt: new Date(),
      // The originals of what was masked, sealed: put back when the owner reads the result.
      piiVault: Object.keys(mapping).length > 0 ? this.vault.seal(mapping, jobId) : null,
    };
    try {
      await this.jobs.insert(job);
    } catch (err) {
      // Two submissions with one Idempotency-Key at once: the first insert wins, the other replays it.
      if (idempotencyKey === undefined || !isIdempotencyConflict(err)) throw err;
      const winner = await this.findByIdempotencyKey(key.id, idempotencyKey);
      if (!winner) throw err;
      return replay(winner, requestHash);
    }

    const data = proxyJobData(req, {
      requestId: job.id,
      key,
      endpoint: dto.endpoint,
      model,
      stream: false,
      body,
      reply: { kind: 'async', jobId: job.id },
      deadline,
      reservation,
      price: this.prices.priceOf(model),
    });
    try {
      await this.queue.enqueue(data);
      reservation?.handOff();
    } catch (err) {
      // Nothing will ever run it: remove the row so that a retry with the same key can succeed.
      await this.jobs.delete({ id: job.id }).catch((e: Error) => {
        this.logger.warn(`could not remove unqueued job ${job.id}: ${e.message}`);
      });
      throw err;
    }
    this.audit.record(req.auditContext, 'job.created', {
      job_id: job.id,
      endpoint: dto.endpoint,
      model,
    });
    // The job is accepted once its record is queued too: a gateway that died right after
    // answering would otherwise take the record with it.
    await this.audit.queued(JOB_RECORD_WAIT_MS);
    return { id: job.id, status: job.status, replayed: false };
  }

  async get(key: ClientKey, id: string): Promise<JobView> {
    if (!UUID.test(id)) throw notFound();
    const job = await this.jobs
      .createQueryBuilder('j')
      .addSelect('j.piiVault')
      .where('j.id = :id AND j.key_id = :keyId', { id, keyId: key.id })
      .andWhere('(j.expires_at IS NULL OR j.expires_at > now())')
      .getOne();
    if (!job) throw notFound();
    const view = toJobView(job);
    if (!job.piiVault || view.result === null) return view;
    const mapping = this.vault.open(job.piiVault, job.id);
    // A mapping that cannot be opened (PII_VAULT_KEY changed) leaves the placeholders in place.
    if (!mapping) return view;
    return {
      ...view,
      result: JSON.parse(restoreJsonText(JSON.stringify(view.result), mapping)) as object,
    };
  }

  async list(
    key: ClientKey,
    limit = 50,
    cursor?: string,
    status?: AsyncJobStatus,
  ): Promise<JobPage> {
    const qb = this.jobs
      .createQueryBuilder('j')
      .select(SUMMARY_COLUMNS.map((c) => `j.${c}`))
      .where('j.key_id = :keyId', { keyId: key.id })
      .andWhere('(j.expires_at IS NULL OR j.expires_at > now())')
      .orderBy('j.created_at', 'DESC')
      .addOrderBy('j.id', 'DESC')
      .limit(limit + 1);
    if (status) qb.andWhere('j.status = :status', { status });
    if (cursor) {
      const { createdAt, id } = decodeTimeCursor(cursor);
      qb.andWhere('(j.created_at, j.id) < (:createdAt, :id)', { createdAt, id });
    }
    const rows = await qb.getMany();
    return keysetPage(
      rows,
      limit,
      (j) => toJobSummary(j),
      (last) => encodeTimeCursor(last.createdAt, last.id),
    );
  }

  /**
   * The job an Idempotency-Key already names. The key is remembered as long as its job is: once
   * the result expired it is released (cleared on the old row) and may name a new job.
   */
  private async findByIdempotencyKey(
    keyId: string,
    idempotencyKey: string,
  ): Promise<AsyncJob | undefined> {
    const job = await this.jobs.findOne({ where: { keyId, idempotencyKey } });
    if (!job) return undefined;
    if (job.expiresAt && job.expiresAt.getTime() <= Date.now()) {
      await this.jobs.update({ id: job.id, idempotencyKey }, { idempotencyKey: null });
      return undefined;
    }
    return job;
  }

  /**
   * RATE_LIMIT_JOBS_PER_MIN per key and RATE_LIMIT_JOBS_PER_IP_PER_MIN per client address (one
   * client holding many keys), counted together; the tighter one is reported in X-RateLimit-*.
   */
  private async countSubmission(key: ClientKey, req: FastifyRequest): Promise<void> {
    const byKey = this.config.RATE_LIMIT_JOBS_PER_MIN;
    const byIp = this.config.RATE_LIMIT_JOBS_PER_IP_PER_MIN;
    const [keyRecord, ipRecord] = await Promise.all([
      this.limits.increment(`jobs:${key.id}`, SUBMISSION_WINDOW_MS, byKey, 0, 'jobs'),
      this.limits.increment(
        `jobs-ip:${rateLimitSubject(req.clientIp)}`,
        SUBMISSION_WINDOW_MS,
        byIp,
        0,
        'jobs-ip',
      ),
    ]);
    for (const [limit, record, per] of [
      [byKey, keyRecord, 'key'],
      [byIp, ipRecord, 'address'],
    ] as const) {
      const state = {
        limit,
        remaining: record.isBlocked ? 0 : Math.max(0, limit - record.totalHits),
        resetSeconds: record.timeToExpire,
      };
      if (record.isBlocked) {
        throw new RateLimited(
          `This ${per} may submit ${limit} jobs per minute; retry after the Retry-After delay`,
          waitSeconds(record.timeToBlockExpire * 1000),
          state,
        );
      }
      req.limits = tighter(state, req.limits);
    }
  }
}

function replay(job: AsyncJob, requestHash: string): SubmittedJob {
  if (job.requestHash !== requestHash) {
    throw new ConflictException('This Idempotency-Key was already used with a different request');
  }
  return { id: job.id, status: job.status, replayed: true };
}

function isIdempotencyConflict(err: unknown): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const driverError = err.driverError as { code?: string; constraint?: string };
  return driverError.code === '23505' && driverError.constraint === IDEMPOTENCY_INDEX;
}

function notFound(): NotFoundException {
  return new NotFoundException('No job with this id');
}
