import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * The document, built on first request and kept as the JSON it is served as: building scans
 * every controller, which has no place on the request path.
 */
@Injectable()
export class OpenApiDocument {
  private build: (() => OpenAPIObject) | undefined;
  private json: string | undefined;

  /** Set once the app is configured (configure-app.ts): the app is what the document describes. */
  builtBy(build: () => OpenAPIObject): void {
    this.build = build;
  }

  asJson(): string {
    if (this.json === undefined) {
      if (!this.build) throw new Error('the OpenAPI document has no builder yet');
      this.json = JSON.stringify(this.build());
    }
    return this.json;
  }
}
