import { PROXY_JOB_VERSION } from '@gatehouse/queue';
import type { FastifyRequest } from 'fastify';
import type { ClientKey } from '../auth/principal.js';
import type { HeldReservation } from '../budgets/budget-reservations.js';
import { type ProxyJobParts, proxyJobData } from './proxy-job-data.js';

const req = {
  id: 'req-1',
  clientIp: '203.0.113.7',
  method: 'POST',
  path: '/v1/messages',
  headers: {
    'x-api-key': 'gk_1a2b3c4d_secret',
    authorization: 'Bearer gk_1a2b3c4d_secret',
    'anthropic-version': '2023-06-01',
  },
} as unknown as FastifyRequest;

const parts: ProxyJobParts = {
  requestId: 'r-1',
  key: { id: 'key-1' } as ClientKey,
  endpoint: 'messages',
  model: 'claude-x',
  stream: true,
  body: { model: 'claude-x', messages: [] },
  reply: { kind: 'sync', gatewayId: 'gw-1' },
  deadline: 123,
  price: { input: 3, output: 15 },
};

const reservation: HeldReservation = {
  hold: { lease: 'lease-1', promptTokens: 12 },
  outputCap: 4_096,
  handOff: () => undefined,
  release: () => undefined,
};

describe('proxyJobData', () => {
  it('carries the request, never the client credential', () => {
    const data = proxyJobData(req, parts);
    expect(data).toEqual({
      v: PROXY_JOB_VERSION,
      requestId: 'r-1',
      keyId: 'key-1',
      endpoint: 'messages',
      model: 'claude-x',
      stream: true,
      body: { model: 'claude-x', messages: [] },
      headers: { 'anthropic-version': '2023-06-01' },
      reply: { kind: 'sync', gatewayId: 'gw-1' },
      deadline: 123,
      client: { requestId: 'req-1', ip: '203.0.113.7', method: 'POST', path: '/v1/messages' },
      price: { input: 3, output: 15 },
    });
    expect(JSON.stringify(data)).not.toContain('secret');
  });

  it("carries the reservation's hold and caps the output it reserved for", () => {
    const data = proxyJobData(req, { ...parts, reservation });
    expect(data.budget).toEqual({ lease: 'lease-1', promptTokens: 12 });
    expect(data.body).toEqual({ model: 'claude-x', messages: [], max_tokens: 4_096 });
  });
});
