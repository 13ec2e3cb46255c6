import { Module } from '@nestjs/common';
import { DocsPageController } from './docs-page.controller.js';

@Module({ controllers: [DocsPageController] })
export class DocsPageModule {}
