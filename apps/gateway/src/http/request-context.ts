import type { Principal } from '../auth/principal.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Correlates logs, errors and audit records; echoed as X-Request-Id. */
    id: string;
    /** The client's address, from forwarding headers only when the hop is trusted. */
    clientIp: string;
    /** Who made the request, once authenticated. */
    principal?: Principal;
    /** Set by passport during authentication; read only by the auth guard. */
    user?: unknown;
  }
}

export {};
