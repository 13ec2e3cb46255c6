import { type AppConfig } from '@gatehouse/config';
import {
  AUDIT_BATCH_JOB_NAME,
  AuditProducer,
  type AuditEventBatch,
  QueueName,
  bullPrefix,
} from '@gatehouse/queue';
import { Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { type OwnRedisServer, startOwnRedisServer } from './support/redis-server.js';
import { waitFor } from './support/spawn-app.js';
import { randomSecret } from './support/test-env.js';

/**
 * An audit event emitted while Redis is briefly away (a restart, a failover) must reach the
 * queue once it is back: found by the chaos run, where such events were logged as lost.
 */
describe('audit producer through a Redis outage', () => {
  let redis: OwnRedisServer;
  let queue: Queue;
  let producer: AuditProducer;
  const prefix = bullPrefix(`ghtest${randomSecret().slice(0, 10)}`);

  beforeAll(async () => {
    Logger.overrideLogger(false); // the producer's outage warnings are expected here
    redis = await startOwnRedisServer();
    // As the apps' producers: no offline queue, so a command fails at once while Redis is down.
    queue = new Queue(QueueName.audit, {
      connection: {
        host: '127.0.0.1',
        port: redis.port,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        retryStrategy: () => 100,
      },
      prefix,
    });
    queue.on('error', () => undefined);
    await queue.waitUntilReady();
    producer = new AuditProducer(queue, { AUDIT_EVENT_KEY: randomSecret() } as AppConfig);
  });

  afterAll(async () => {
    await queue?.close();
    await redis?.kill();
  });

  const emit = (n: number) => producer.emit({ type: 'key.created', actor: 'admin', data: { n } });
  /** The `n` of every queued event, jobs in the order queued, events in their job's order. */
  const queuedNs = async (): Promise<number[]> => {
    const jobs = await queue.getWaiting(0, -1);
    expect(jobs.every((j) => j.name === AUDIT_BATCH_JOB_NAME)).toBe(true);
    return jobs
      .sort((a, b) => a.timestamp - b.timestamp)
      .flatMap((j) => (j.data as AuditEventBatch).events.map((e) => (e.data as { n: number }).n));
  };

  it('holds the events while Redis is down and queues them all, in order, once it is back', async () => {
    await redis.kill();
    for (let n = 0; n < 5; n++) emit(n);
    await new Promise((r) => setTimeout(r, 600)); // a few failed attempts
    await redis.start();
    await waitFor(async () => (await queue.getWaitingCount()) > 0, 15_000);
    // The five held events, in the order emitted, in one job.
    expect(await queuedNs()).toEqual([0, 1, 2, 3, 4]);
    expect(await queue.getWaitingCount()).toBe(1);
  });

  it('says when the events emitted so far are queued, though more keep coming', async () => {
    await queue.obliterate({ force: true });
    emit(1);
    let done = false;
    const queued = producer.queued().then(() => (done = true));
    // Steady emission: the buffer is rarely empty, which must not keep the waiter waiting.
    let emitting = 0;
    for (; emitting < 200 && !done; emitting++) {
      emit(2);
      await new Promise((r) => setTimeout(r, 2));
    }
    await queued;
    expect(emitting).toBeLessThan(200); // woken while the emission went on
    expect((await queuedNs())[0]).toBe(1);
  });

  it('queues a burst as jobs of at most 200 events each, in the order emitted', async () => {
    await queue.obliterate({ force: true });
    for (let n = 0; n < 450; n++) emit(n);
    await producer.queued();
    const jobs = await queue.getWaiting(0, -1);
    const sizes = jobs.map((j) => (j.data as AuditEventBatch).events.length);
    expect(sizes.sort((a, b) => b - a)).toEqual([200, 200, 50]);
    expect(await queuedNs()).toEqual(Array.from({ length: 450 }, (_, n) => n));
  });

  it('sends what it holds once more at shutdown', async () => {
    await queue.obliterate({ force: true });
    emit(9);
    await producer.onApplicationShutdown();
    expect(await queuedNs()).toEqual([9]);
  });
});
