import { KeyFields } from './key-fields.js';

export class UpdateKeyDto extends KeyFields {}
