/** Where Bull Board lives; everything under it is the board (page, static assets, its API). */
export const QUEUES_BOARD_PATH = '/admin/queues';

/**
 * The board is a document, unlike the API responses (`default-src 'none'`), so it gets its own
 * policy: everything from this origin only (the page is served without Bull Board's Google Fonts
 * link, see queues-board.ts), scripts from its static files only (no inline script, no eval), and
 * still never framed.
 *
 * Styles need 'unsafe-inline': Bull Board's UI renders inline `<style>` elements (the Redis logo
 * in its header, Base UI's scrollbar hider in dialogs) and its page's loading placeholder uses
 * style attributes; hashes would break on every Bull Board upgrade. Inline styles cannot run
 * code, and the board renders job data through React, which escapes it.
 */
export const QUEUES_BOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  // The board's own API calls and its translations (fetched from static/locales).
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
