import { PageQuery } from '../../pagination/page.query.js';

export class ListAccountsQuery extends PageQuery {}
