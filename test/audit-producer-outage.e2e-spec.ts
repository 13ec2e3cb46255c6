import { type AppConfig } from '@gatehouse/config';
import { AuditProducer, AUDIT_JOB_NAME, QueueName, bullPrefix } from '@gatehouse/queue';
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

  it('holds the events while Redis is down and queues them all, in order, once it is back', async () => {
    await redis.kill();
    for (let n = 0; n < 5; n++) emit(n);
    await new Promise((r) => setTimeout(r, 600)); // a few failed attempts
    await redis.start();
    await waitFor(async () => (await queue.getWaitingCount()) === 5, 15_000);
    const jobs = await queue.getWaiting(0, 10);
    expect(jobs.every((j) => j.name === AUDIT_JOB_NAME)).toBe(true);
    const order = jobs
      .map((j) => ({ at: j.timestamp, n: (j.data as { data: { n: number } }).data.n }))
      .sort((a, b) => a.at - b.at || a.n - b.n)
      .map((j) => j.n);
    expect(order).toEqual([0, 1, 2, 3, 4]);
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
    const first = (await queue.getWaiting(0, 1000)).find(
      (j) => (j.data as { data: { n: number } }).data.n === 1,
    );
    expect(first).toBeDefined();
  });

  it('sends what it holds once more at shutdown', async () => {
    await queue.obliterate({ force: true });
    emit(9);
    await producer.onApplicationShutdown();
    expect(await queue.getWaitingCount()).toBe(1);
  });
});
