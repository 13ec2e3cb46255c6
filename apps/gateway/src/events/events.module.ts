import { Module } from '@nestjs/common';
import { BroadcastPublisher } from '@gatehouse/queue';

@Module({ providers: [BroadcastPublisher], exports: [BroadcastPublisher] })
export class EventsModule {}
