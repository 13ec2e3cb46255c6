import { CreateApiKeys1763900000000 } from './1763900000000-create-api-keys.js';

/** Every migration, oldest first. Listed explicitly: ESM builds cannot glob-load classes. */
export const MIGRATIONS = [CreateApiKeys1763900000000];
