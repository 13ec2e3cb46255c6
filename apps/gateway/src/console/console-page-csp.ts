/** Where the console is served; its files come from the Vite build (apps/console). */
export const CONSOLE_PATH = '/console';

/**
 * The console is a document, unlike API responses (`default-src 'none'`): scripts and styles
 * from its own files only (no inline script or style, no eval), API calls to this origin only,
 * never framed, no forms posted anywhere (the page posts with fetch).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
