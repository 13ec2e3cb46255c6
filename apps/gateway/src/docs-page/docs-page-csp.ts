/** Where the API docs page lives (public static files; the document itself needs a key). */
export const DOCS_PAGE_PATH = '/api/v1/docs';

/**
 * The docs page is a document, unlike API responses (`default-src 'none'`): this origin only,
 * scripts from its files only (no inline script, no eval), never framed. Swagger UI's requests
 * (the document, "try it out") go to this origin, so `connect-src 'self'` is all it needs.
 */
export const DOCS_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
