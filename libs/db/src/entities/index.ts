import { ApiKey } from './api-key.entity.js';

export { ApiKey };
export const ENTITIES = [ApiKey];
