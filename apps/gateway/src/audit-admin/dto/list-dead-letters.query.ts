import { PageQuery } from '../../pagination/page.query.js';

export class ListDeadLettersQuery extends PageQuery {}
