import type { ProxyEndpoint } from '@gatehouse/queue';

/** An error announced inside an SSE stream, in the shape each provider's clients understand. */
export function sseErrorEvent(endpoint: ProxyEndpoint, message: string): string {
  if (endpoint === 'messages') {
    const data = { type: 'error', error: { type: 'api_error', message } };
    return `event: error\ndata: ${JSON.stringify(data)}\n\n`;
  }
  return `data: ${JSON.stringify({ error: { type: 'upstream_error', message } })}\n\n`;
}
