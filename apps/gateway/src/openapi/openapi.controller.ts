import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../auth/access.decorator.js';
import { OpenApiDocument } from './openapi-document.service.js';

/** The API's OpenAPI 3 document, for any caller with a key (client or admin). */
@ApiTags('meta')
@Authenticated()
@Controller('api/v1/openapi.json')
export class OpenApiController {
  constructor(private readonly document: OpenApiDocument) {}

  @Get()
  @Header('Content-Type', 'application/json; charset=utf-8')
  @ApiOkResponse({
    description: 'This document (OpenAPI 3)',
    schema: { type: 'object', additionalProperties: true },
  })
  get(): string {
    return this.document.asJson();
  }
}
