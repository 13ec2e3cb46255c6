import { KeyFields } from './key-fields.js';

export class CreateKeyDto extends KeyFields {}
