import { projectRoot } from '../../apps/gateway/src/console/console-page-files.js';

/**
 * The repository's root. Found rather than counted because this file runs both from
 * `test/support` (jest) and from `dist/test/support` (`npm run chaos`).
 */
export const PROJECT_ROOT = projectRoot(import.meta.dirname);
