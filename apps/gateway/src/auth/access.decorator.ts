import { SetMetadata } from '@nestjs/common';

export type Access = 'public' | 'client' | 'admin';
export const ACCESS_METADATA = 'gatehouse:access';

/** No credentials needed (health probes). */
export const Public = () => SetMetadata(ACCESS_METADATA, 'public' satisfies Access);
/** Only the admin key; a client key gets 403. */
export const AdminOnly = () => SetMetadata(ACCESS_METADATA, 'admin' satisfies Access);
// Everything else requires a client key: that is the default, so it needs no decorator.
