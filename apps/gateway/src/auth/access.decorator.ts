import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import {
  ADMIN_SECURITY,
  CLIENT_SECURITY,
  type SecurityRequirement,
} from '../openapi/security-schemes.js';

export type Access = 'public' | 'client' | 'admin' | 'authenticated';
export const ACCESS_METADATA = 'gatehouse:access';

// Each decorator also states the access in the API document (the guard reads the first part,
// the document the second), so the two cannot disagree.
const documented = (requirements: readonly SecurityRequirement[]) =>
  requirements.map((r) => ApiSecurity(r));

/** No credentials needed (health probes). */
export const Public = () =>
  applyDecorators(SetMetadata(ACCESS_METADATA, 'public' satisfies Access), ApiSecurity({}));
/** Only the admin key; a client key gets 403. */
export const AdminOnly = () =>
  applyDecorators(
    SetMetadata(ACCESS_METADATA, 'admin' satisfies Access),
    ...documented(ADMIN_SECURITY),
  );
/** Any valid key, client or admin (counted per address, not per key). */
export const Authenticated = () =>
  applyDecorators(
    SetMetadata(ACCESS_METADATA, 'authenticated' satisfies Access),
    ...documented([...CLIENT_SECURITY, ...ADMIN_SECURITY]),
  );
/** Metadata: this admin route takes the admin key itself, never a console session. */
export const KEY_REQUIRED_METADATA = 'gatehouse:key-required';
/** On an admin route: a console session does not stand in for the admin key (signing in). */
export const KeyRequired = () => SetMetadata(KEY_REQUIRED_METADATA, true);
// Everything else requires a client key: that is the default, so it needs no decorator (the API
// document adds the client schemes to routes that state none, see completeOperation).
