import { PiiDetector, maskRequestBody, restoreJsonText } from '@gatehouse/pii';

/** A 4 KB prompt with ten entities of six types among ordinary prose. */
function prompt(): string {
  const entities = [
    'jane.roe@example.com',
    '+1 415 555 0132',
    '4111 1111 1111 1111',
    'GB82 WEST 1234 5698 7654 32',
    '203.0.113.7',
    '123-45-6789',
    'ops@example.org',
    '2001:db8::1234:5678',
    '5500 0000 0000 0004',
    '+44 20 7946 0958',
  ];
  const prose =
    'The quarterly review covers delivery, hiring and the support backlog in some detail. ';
  let text = '';
  for (const entity of entities) text += `${prose.repeat(4)}Contact: ${entity}. `;
  while (text.length < 4096) text += prose;
  return text.slice(0, 4096);
}

/** CPU time of masking and restoring, per request, measured in this process. */
export function measurePiiMasking(runs = 2_000): {
  msPerRequest: number;
  maskMs: number;
  restoreMs: number;
  runs: number;
  placeholders: number;
} {
  const detector = new PiiDetector();
  const body = { model: 'gpt-4o', messages: [{ role: 'user', content: prompt() }] };
  for (let i = 0; i < 200; i++) {
    const masked = maskRequestBody(detector, 'openai', body); // warm-up
    restoreJsonText(JSON.stringify(masked.body), masked.mapping);
  }
  let maskNs = 0n;
  let restoreNs = 0n;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const masked = maskRequestBody(detector, 'openai', body);
    const t1 = process.hrtime.bigint();
    // An answer that repeats every placeholder, restored as the gateway restores JSON.
    restoreJsonText(JSON.stringify(masked.body), masked.mapping);
    const t2 = process.hrtime.bigint();
    maskNs += t1 - t0;
    restoreNs += t2 - t1;
  }
  const maskMs = Number(maskNs) / 1e6 / runs;
  const restoreMs = Number(restoreNs) / 1e6 / runs;
  const placeholders = Object.keys(maskRequestBody(detector, 'openai', body).mapping).length;
  return { msPerRequest: maskMs + restoreMs, maskMs, restoreMs, runs, placeholders };
}
