import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Agent, type Dispatcher, request } from 'undici';
import type { Cancellation } from '../proxy/cancellation.js';
import { guardedConnector, upstreamAddressPolicy } from './upstream-address-guard.js';

export type UpstreamRequest = {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Cancels the call (the total timeout, or the client gone). */
  signal: Cancellation;
};

export type UpstreamResponse = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
};

/**
 * One keep-alive connection pool for every upstream call. Connect and first-byte timeouts live
 * here; the total timeout and client cancellation arrive through the caller's Cancellation.
 */
@Injectable()
export class UpstreamHttp implements OnApplicationShutdown {
  private readonly agent: Agent;
  private readonly firstByteTimeoutMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.firstByteTimeoutMs = config.UPSTREAM_FIRST_BYTE_TIMEOUT_MS;
    this.agent = new Agent({
      connect: guardedConnector(
        upstreamAddressPolicy(config.UPSTREAM_ALLOW_PRIVATE, config.UPSTREAM_ALLOWED_HOSTS),
        config.UPSTREAM_CONNECT_TIMEOUT_MS,
      ),
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      // Per origin, one request per connection: as many as the jobs this worker runs at once,
      // so a busy upstream never makes a job wait for a socket.
      connections: config.PROXY_WORKER_CONCURRENCY,
      pipelining: 1,
    });
  }

  async post(req: UpstreamRequest): Promise<UpstreamResponse> {
    const res = await request(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      signal: req.signal,
      dispatcher: this.agent,
      headersTimeout: this.firstByteTimeoutMs,
      // Longest silence allowed between two body chunks of a stream.
      bodyTimeout: this.firstByteTimeoutMs,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }
}
