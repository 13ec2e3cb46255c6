import { BUDGET_NAMES } from '@gatehouse/budgets';
import type { HeaderObject, ReferenceObject } from '@nestjs/swagger';
import { budgetHeaders } from '../budgets/budget-state.js';

const integer = (description: string): HeaderObject => ({
  description,
  schema: { type: 'integer' },
});

/** The headers the edge and admission write (see edge.ts and limit-headers.ts). */
const RATE_LIMIT_HEADERS: Record<string, HeaderObject> = {
  'X-RateLimit-Limit': integer('Requests allowed in the window of the tightest limit that applied'),
  'X-RateLimit-Remaining': integer('Requests left in that window'),
  'X-RateLimit-Reset': integer('Seconds until that window resets'),
};

const REQUEST_ID_HEADER: Record<string, HeaderObject> = {
  'X-Request-Id': {
    description: "The request's id (a well-formed incoming X-Request-Id is kept)",
    schema: { type: 'string' },
  },
};

const RETRY_AFTER_HEADER: Record<string, HeaderObject> = {
  'Retry-After': integer('Seconds to wait before retrying (429, and 503 when known)'),
};

const UNITS = 'tokens, requests, or US cents for cost budgets';

/** The X-Budget-* names, from the function that writes them. */
function budgetHeaderObjects(): Record<string, HeaderObject> {
  const names = budgetHeaders(
    BUDGET_NAMES.map((name) => ({ name, limit: 0, used: 0, remaining: 0, resetSeconds: 0 })),
  ).map(([name]) => name);
  return Object.fromEntries(
    names.map((name) => [
      name,
      integer(
        name.endsWith('-Limit')
          ? `The key's budget (${UNITS}); sent when the key has this budget`
          : name.endsWith('-Remaining')
            ? `What remains of it after this request's reservation (${UNITS})`
            : 'Seconds until the budget resets',
      ),
    ]),
  );
}

/** components.headers of the document. */
export function headerComponents(): Record<string, HeaderObject> {
  return {
    ...REQUEST_ID_HEADER,
    ...RATE_LIMIT_HEADERS,
    ...RETRY_AFTER_HEADER,
    ...budgetHeaderObjects(),
  };
}

const refs = (names: string[]): Record<string, ReferenceObject> =>
  Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }]));

export const requestIdHeaderRefs = () => refs(Object.keys(REQUEST_ID_HEADER));
export const rateLimitHeaderRefs = () => refs(Object.keys(RATE_LIMIT_HEADERS));
export const retryAfterHeaderRefs = () => refs(Object.keys(RETRY_AFTER_HEADER));
export const budgetHeaderRefs = () => refs(Object.keys(budgetHeaderObjects()));
