import request from 'supertest';
import type { AccountView } from '../../apps/gateway/src/accounts/account-view.js';

export type CreatedKey = { id: string; key: string; prefix: string; [field: string]: unknown };

/** Creates a client key through the admin API, as an operator would. */
export async function createKey(
  url: string,
  adminKey: string,
  body: Record<string, unknown> = {},
): Promise<CreatedKey> {
  const res = await request(url).post('/api/v1/admin/keys').set('x-api-key', adminKey).send(body);
  if (res.status !== 201)
    throw new Error(`key creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as CreatedKey;
}

/** Adds an upstream account through the admin API, as an operator would. */
export async function createAccount(
  url: string,
  adminKey: string,
  body: Record<string, unknown>,
): Promise<AccountView> {
  const res = await request(url)
    .post('/api/v1/admin/accounts')
    .set('x-api-key', adminKey)
    .send(body);
  if (res.status !== 201)
    throw new Error(`account creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as AccountView;
}
