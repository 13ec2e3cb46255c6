/** Every `error.type` a response can carry (the API document lists them). */
export const ERROR_TYPES = [
  'invalid_request',
  'authentication_error',
  'permission_denied',
  'not_found',
  'method_not_allowed',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'budget_exceeded',
  'price_unknown',
  'pii_detected',
  'internal_error',
  'service_unavailable',
  'upstream_error',
] as const;

export type ErrorType = (typeof ERROR_TYPES)[number];

const TYPE_BY_STATUS: Record<number, ErrorType> = {
  400: 'invalid_request',
  401: 'authentication_error',
  403: 'permission_denied',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'invalid_request',
  429: 'rate_limited',
  502: 'upstream_error',
  503: 'service_unavailable',
  504: 'upstream_error',
};

export function errorTypeFor(status: number): ErrorType {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request');
}

export type ErrorBody = { error: { type: ErrorType; message: string; request_id: string } };
