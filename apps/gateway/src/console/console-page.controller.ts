import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/access.decorator.js';
import { CONSOLE_CSP } from './console-page-csp.js';
import { type ConsoleFile, loadConsoleFiles } from './console-page-files.js';

/**
 * The operator console's static files at /console/: public (the page holds no data; everything
 * it shows comes from the admin API with a session), counted per address like any route.
 */
@ApiExcludeController()
@Public()
@Controller('console')
export class ConsolePageController {
  private files: ReadonlyMap<string, ConsoleFile> | undefined;

  /** Without the slash the page's relative links would resolve one level up: add it. */
  @Get()
  bare(@Res() reply: FastifyReply): void {
    void reply.redirect('/console/', 301);
  }

  /** Fastify's wildcard also matches the empty rest, so this serves /console/ (the page) too. */
  @Get('*')
  file(@Param('*') name: string, @Res() reply: FastifyReply): void {
    this.send(name, reply);
  }

  private send(name: string, reply: FastifyReply): void {
    this.files ??= loadConsoleFiles();
    const file = this.files.get(name);
    if (!file) {
      throw new NotFoundException(
        name === '' ? 'The console was not built: run npm run build' : 'No such file',
      );
    }
    void reply
      .header('Content-Security-Policy', CONSOLE_CSP)
      .header('Content-Type', file.contentType)
      .send(file.body);
  }
}
