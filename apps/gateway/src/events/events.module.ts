import { Module } from '@nestjs/common';
import { BroadcastPublisher } from './broadcast.publisher.js';

@Module({ providers: [BroadcastPublisher], exports: [BroadcastPublisher] })
export class EventsModule {}
