import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { AppViewRoute } from '@bull-board/api/typings/app';
import { ExpressAdapter } from '@bull-board/express';
import { QueueName } from '@gatehouse/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { QUEUES_BOARD_PATH } from './queues-board-csp.js';

// Bull Board's index.ejs pulls IBM Plex from Google Fonts: a third-party request from the
// operator's browser that the board's CSP would have to allow. Without it the UI falls back
// to the system fonts its stylesheet names next to Plex.
const GOOGLE_FONTS_LINK = /<link\b[^>]*\bhref="https:\/\/fonts\.googleapis\.com\/[^"]*"[^>]*>\s*/g;

/** Bull Board's page without third-party resources (see above). */
export function selfContainedPage(html: string): string {
  return html.replace(GOOGLE_FONTS_LINK, '');
}

/**
 * Bull Board's Express adapter with two changes: its page is served through selfContainedPage,
 * and its express app does not announce itself (`X-Powered-By`), like the gateway's own app.
 */
class GatehouseBoardAdapter extends ExpressAdapter {
  constructor() {
    super();
    this.app.disable('x-powered-by');
  }

  override setEntryRoute(routeDef: AppViewRoute): ExpressAdapter {
    const view = (_req: Request, res: Response, next: NextFunction): void => {
      const { name, params } = routeDef.handler({
        basePath: this.basePath,
        uiConfig: this.uiConfig,
      });
      res.render(name, params, (err: Error | null, html?: string) => {
        if (err || html === undefined)
          return next(err ?? new Error('Bull Board page did not render'));
        res.type('html').send(selfContainedPage(html));
      });
    };
    this.app[routeDef.method](routeDef.route, view);
    return this;
  }
}

/** Bull Board over the queues the gateway's apps use, as an Express router. */
@Injectable()
export class QueuesBoard {
  readonly router: RequestHandler;

  constructor(
    @InjectQueue(QueueName.proxy) proxy: Queue,
    @InjectQueue(QueueName.audit) audit: Queue,
    @InjectQueue(QueueName.auditMaintenance) auditMaintenance: Queue,
  ) {
    const adapter = new GatehouseBoardAdapter();
    adapter.setBasePath(QUEUES_BOARD_PATH);
    createBullBoard({
      queues: [proxy, audit, auditMaintenance].map((queue) => new BullMQAdapter(queue)),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: 'Gatehouse queues' } },
    });
    this.router = adapter.getRouter() as Express;
  }
}
