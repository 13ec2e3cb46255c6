import { CHAOS_MODEL } from './system.js';

export type RequestKind = 'json' | 'stream' | 'job';

/**
 * served: the right answer (the echo of its own prompt); refused: a clean 429 or 503 with the
 * JSON error body; interrupted: a stream that began and then ended with the gateway's error
 * event (its worker died mid-stream: a stream cannot be replayed); dropped: the connection broke
 * mid-request (its gateway was killed); other: anything else (an unexpected status, a wrong or
 * truncated answer, no answer in time).
 */
export type Outcome = 'served' | 'refused' | 'interrupted' | 'dropped' | 'other';

export type RequestRecord = {
  kind: RequestKind;
  marker: string;
  gateway: number;
  startedAt: number;
  endedAt: number;
  outcome: Outcome;
  status: number;
  /** The gateway the client tried first refused the connection: sent to the other one. */
  rerouted: boolean;
  /** Sent as X-Request-Id: the audit records of the request carry it. */
  requestId: string;
  /** Async jobs: the id the gateway accepted it under. */
  jobId: string | undefined;
  detail: string;
};

export type LoadTarget = { gateways: string[]; clientKey: string };

const REQUEST_TIMEOUT_MS = 90_000;

/** Letters only: a prompt of digits could be taken for a phone number and masked. */
function letters(n: number): string {
  let s = '';
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
}

/**
 * Mixed load from `clients` loops until `stop` is set: six JSON requests, two streams and two
 * async jobs in every ten, spread over the gateways in turn. A connection refused before
 * anything was sent is retried once on the next gateway, as nginx does (`proxy_next_upstream
 * error`): a load balancer routes around a gateway that is down.
 */
export function runLoad(
  target: LoadTarget,
  clients: number,
  runId: number,
): { records: RequestRecord[]; stop(): Promise<void> } {
  const records: RequestRecord[] = [];
  let stopping = false;
  let seq = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (!stopping) {
      const n = seq++;
      const kind: RequestKind = n % 10 < 6 ? 'json' : n % 10 < 8 ? 'stream' : 'job';
      const id = `${letters(runId)}-${letters(n)}`;
      records.push(await send(target, kind, id, n % target.gateways.length));
    }
  });
  return {
    records,
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/** `id` is the request's X-Request-Id (`chaos-<id>`) and, as `chaos <id>`, its prompt. */
async function send(
  target: LoadTarget,
  kind: RequestKind,
  id: string,
  first: number,
): Promise<RequestRecord> {
  const marker = `chaos ${id}`;
  const requestId = `chaos-${id}`;
  const startedAt = Date.now();
  const record = (fields: Partial<RequestRecord>): RequestRecord => ({
    kind,
    marker,
    gateway: first,
    startedAt,
    endedAt: Date.now(),
    outcome: 'other',
    status: 0,
    rerouted: false,
    requestId,
    jobId: undefined,
    detail: '',
    ...fields,
  });
  let gateway = first;
  let rerouted = false;
  for (;;) {
    try {
      const res = await post(
        target.gateways[gateway] ?? '',
        target.clientKey,
        kind,
        marker,
        requestId,
      );
      const text = await res.text();
      return record({
        gateway,
        rerouted,
        status: res.status,
        ...judge(kind, marker, res.status, text),
      });
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ECONNREFUSED' && !rerouted) {
        rerouted = true;
        gateway = (gateway + 1) % target.gateways.length;
        continue;
      }
      const dropped = code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
      return record({
        gateway,
        rerouted,
        outcome: dropped ? 'dropped' : 'other',
        detail: `${code ?? ''} ${(err as Error).message}`.trim(),
      });
    }
  }
}

function post(
  base: string,
  key: string,
  kind: RequestKind,
  marker: string,
  requestId: string,
): Promise<Response> {
  const messages = [{ role: 'user', content: marker }];
  const [path, body] =
    kind === 'job'
      ? ['/api/v1/jobs', { endpoint: 'chat.completions', body: { model: CHAOS_MODEL, messages } }]
      : ['/v1/chat/completions', { model: CHAOS_MODEL, messages, stream: kind === 'stream' }];
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${key}`,
      'x-request-id': requestId,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

function judge(
  kind: RequestKind,
  marker: string,
  status: number,
  text: string,
): Pick<RequestRecord, 'outcome' | 'detail'> & { jobId?: string } {
  if (status === 429 || status === 503) {
    const clean = parse(text)?.error !== undefined;
    return { outcome: clean ? 'refused' : 'other', detail: `${status} ${text.slice(0, 160)}` };
  }
  const wrong = (why: string) => ({ outcome: 'other' as const, detail: `${status} ${why}` });
  if (kind === 'job') {
    const id = parse(text)?.id;
    return status === 202 && typeof id === 'string'
      ? { outcome: 'served', detail: '', jobId: id }
      : wrong(text.slice(0, 160));
  }
  if (status !== 200) return wrong(text.slice(0, 160));
  if (kind === 'json') {
    const answer = parse(text) as { choices?: { message?: { content?: unknown } }[] } | undefined;
    const content = answer?.choices?.[0]?.message?.content;
    return content === marker
      ? { outcome: 'served', detail: '' }
      : wrong(`answer ${text.slice(0, 160)}`);
  }
  const streamed = streamedText(text);
  if (!text.includes('data: [DONE]')) {
    const lastEvent = parse(
      text
        .trimEnd()
        .split('\n')
        .pop()
        ?.replace(/^data: /, '') ?? '',
    );
    return lastEvent?.error !== undefined
      ? { outcome: 'interrupted', detail: JSON.stringify(lastEvent.error).slice(0, 160) }
      : wrong(`stream ended early: …${text.slice(-160)}`);
  }
  return streamed === marker
    ? { outcome: 'served', detail: '' }
    : wrong(`stream answered ${JSON.stringify(streamed.slice(0, 80))}`);
}

function streamedText(sse: string): string {
  let out = '';
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const chunk = parse(line.slice(6)) as { choices?: { delta?: { content?: unknown } }[] };
    const piece = chunk?.choices?.[0]?.delta?.content;
    if (typeof piece === 'string') out += piece;
  }
  return out;
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  if ((err as Error).name === 'TimeoutError') return 'TIMEOUT';
  return undefined;
}
