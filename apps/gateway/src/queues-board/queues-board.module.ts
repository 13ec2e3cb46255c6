import { QueueName } from '@gatehouse/queue';
import { BullModule } from '@nestjs/bullmq';
import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { AuditTrailModule } from '../audit-trail/audit-trail.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { QueuesBoard } from './queues-board.js';
import { QueuesBoardAuthMiddleware } from './queues-board-auth.middleware.js';
import { QUEUES_BOARD_PATH } from './queues-board-csp.js';

/** Bull Board at /admin/queues, behind the admin key (and the same brute-force lockout). */
@Module({
  imports: [
    BullModule.registerQueue(
      { name: QueueName.proxy },
      { name: QueueName.audit },
      { name: QueueName.auditMaintenance },
    ),
    AuthModule,
    ThrottleModule,
    AuditTrailModule,
  ],
  providers: [QueuesBoardAuthMiddleware, QueuesBoard],
})
export class QueuesBoardModule implements NestModule {
  constructor(private readonly board: QueuesBoard) {}

  configure(consumer: MiddlewareConsumer): void {
    // Mounted with `use` semantics: the board's router sees paths relative to QUEUES_BOARD_PATH.
    consumer.apply(QueuesBoardAuthMiddleware, this.board.router).forRoutes(QUEUES_BOARD_PATH);
  }
}
