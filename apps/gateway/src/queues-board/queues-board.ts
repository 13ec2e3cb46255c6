import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BoardAdapter } from '@bull-board/fastify';
import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { QueueName } from '@gatehouse/queue';
import { createRedactor } from '@gatehouse/redact';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QUEUES_BOARD_PATH } from './queues-board-csp.js';
import { QueuesBoardAuth } from './queues-board-auth.js';
import { boardJobView } from './board-job-view.js';

// Bull Board's index.ejs pulls IBM Plex from Google Fonts: a third-party request from the
// operator's browser that the board's CSP would have to allow. Without it the UI falls back
// to the system fonts its stylesheet names next to Plex.
const GOOGLE_FONTS_LINK = /<link\b[^>]*\bhref="https:\/\/fonts\.googleapis\.com\/[^"]*"[^>]*>\s*/g;

/** Bull Board's page without third-party resources (see above). */
export function selfContainedPage(html: string): string {
  return html.replace(GOOGLE_FONTS_LINK, '');
}

/**
 * Bull Board (its Fastify plugin) over the queues the gateway's apps use, at QUEUES_BOARD_PATH,
 * in a plugin scope of its own: the board's auth runs first on every route of it (page, API,
 * static files), and its page is served through selfContainedPage.
 *
 * Read-only: pausing, cleaning or emptying the audit queue would silence the audit trail, and
 * adding or editing jobs would forge it (or bill requests to any key). The adapters refuse
 * actions, and QueuesBoardAuth refuses every write before the board sees it. Job data and
 * results are shown without content and redacted (board-job-view.ts).
 */
@Injectable()
export class QueuesBoard {
  private readonly adapter = new BoardAdapter();

  constructor(
    @InjectQueue(QueueName.proxy) proxy: Queue,
    @InjectQueue(QueueName.audit) audit: Queue,
    @InjectQueue(QueueName.auditMaintenance) auditMaintenance: Queue,
    private readonly auth: QueuesBoardAuth,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.adapter.setBasePath(QUEUES_BOARD_PATH);
    const view = boardJobView(createRedactor([config.ADMIN_API_KEY, config.KEY_PEPPER]));
    const adapters = [proxy, audit, auditMaintenance].map((queue) => {
      const adapter = new BullMQAdapter(queue, { readOnlyMode: true, allowRetries: false });
      adapter.setFormatter('data', view);
      adapter.setFormatter('returnValue', view);
      return adapter;
    });
    createBullBoard({
      queues: adapters,
      serverAdapter: this.adapter,
      options: { uiConfig: { boardTitle: 'Gatehouse queues' } },
    });
  }

  async mount(app: NestFastifyApplication): Promise<void> {
    await app.register(async (scope: FastifyInstance) => {
      scope.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply) =>
        this.auth.check(req, reply),
      );
      scope.addHook(
        'onSend',
        (
          _req: FastifyRequest,
          reply: FastifyReply,
          payload: unknown,
          done: (e: null, p: unknown) => void,
        ) => {
          const html = String(reply.getHeader('content-type') ?? '').startsWith('text/html');
          done(null, html && typeof payload === 'string' ? selfContainedPage(payload) : payload);
        },
      );
      await scope.register(this.adapter.registerPlugin(), { prefix: QUEUES_BOARD_PATH });
    });
  }
}
