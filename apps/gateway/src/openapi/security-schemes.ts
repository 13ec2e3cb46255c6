import type { DocumentBuilder, SecurityRequirementObject } from '@nestjs/swagger';

/**
 * The schemes the document names. A client key and the admin key travel the same ways
 * (`x-api-key`, or `Authorization: Bearer`), so each key has a scheme per header; the name says
 * which key a route takes.
 */
export const SecurityScheme = {
  clientKey: 'client-key',
  clientBearer: 'client-bearer',
  adminKey: 'admin-key',
  adminBearer: 'admin-bearer',
} as const;

export type SecurityRequirement = SecurityRequirementObject;

/** Either header with a client key (alternatives: one requirement each). */
export const CLIENT_SECURITY: readonly SecurityRequirement[] = [
  { [SecurityScheme.clientKey]: [] },
  { [SecurityScheme.clientBearer]: [] },
];

/** Either header with the admin key. */
export const ADMIN_SECURITY: readonly SecurityRequirement[] = [
  { [SecurityScheme.adminKey]: [] },
  { [SecurityScheme.adminBearer]: [] },
];

export function withSecuritySchemes(builder: DocumentBuilder): DocumentBuilder {
  return builder
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'A gateway (client) key' },
      SecurityScheme.clientKey,
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'A gateway (client) key as a bearer token' },
      SecurityScheme.clientBearer,
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The admin key' },
      SecurityScheme.adminKey,
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'The admin key as a bearer token' },
      SecurityScheme.adminBearer,
    );
}
