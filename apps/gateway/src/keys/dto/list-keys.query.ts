import { PageQuery } from '../../pagination/page.query.js';

export class ListKeysQuery extends PageQuery {}
