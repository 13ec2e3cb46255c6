import { createHash } from 'node:crypto';

/**
 * SHA-256 of the canonical JSON of `{ endpoint, body }`: object keys sorted at every depth, so
 * the same request hashes the same whatever order its client wrote the fields in.
 */
export function jobRequestHash(endpoint: string, body: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson({ endpoint, body })).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
