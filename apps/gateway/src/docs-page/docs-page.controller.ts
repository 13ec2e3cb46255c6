import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/access.decorator.js';
import { DOCS_PAGE_CSP } from './docs-page-csp.js';
import { type DocsFile, loadDocsFiles } from './docs-page-files.js';

/**
 * The API docs page (Swagger UI) at /api/v1/docs/: static files, public but counted per address
 * like any route. Not in the API document: it is a page, not API.
 */
@ApiExcludeController()
@Public()
@Controller('api/v1/docs')
export class DocsPageController {
  private files: ReadonlyMap<string, DocsFile> | undefined;

  @Get()
  index(@Res() reply: FastifyReply): void {
    this.send('', reply);
  }

  @Get(':file')
  file(@Param('file') name: string, @Res() reply: FastifyReply): void {
    this.send(name, reply);
  }

  private send(name: string, reply: FastifyReply): void {
    this.files ??= loadDocsFiles();
    const file = this.files.get(name);
    if (!file) throw new NotFoundException('No such file');
    void reply
      .header('Content-Security-Policy', DOCS_PAGE_CSP)
      .header('Content-Type', file.contentType)
      .send(file.body);
  }
}
