import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import { toStorableText } from '@gatehouse/db';
import { createRedactor, REDACTED, type Redactor } from '@gatehouse/redact';
import { Inject, Injectable } from '@nestjs/common';

/**
 * Everything stored by the audit app passes through here first: the shared redactor (credential
 * shapes, sensitive field names, the exact values of this process's configured secrets), then
 * the operator's AUDIT_REDACT_PATTERNS, then a clean-up Postgres needs (NUL characters and lone
 * surrogates cannot be stored). The result is what gets hashed, so it must be deterministic.
 */
@Injectable()
export class AuditRedaction {
  private readonly redactor: Redactor;
  private readonly patterns: RegExp[];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.redactor = createRedactor(exactSecrets(config));
    this.patterns = config.AUDIT_REDACT_PATTERNS.map((source, i) => {
      try {
        return new RegExp(source, 'g');
      } catch {
        // Checked at config load already (redact-patterns.ts); kept for a config built by hand.
        // Name the position, not the pattern: an operator may have pasted a secret into it.
        throw new Error(`AUDIT_REDACT_PATTERNS: entry ${i + 1} is not a valid regular expression`);
      }
    });
  }

  text(value: string): string {
    return this.clean(this.redactor.text(value));
  }

  value<T>(value: T): T {
    return this.walk(this.redactor.value(value)) as T;
  }

  private clean(text: string): string {
    let out = text;
    for (const pattern of this.patterns) {
      pattern.lastIndex = 0;
      out = out.replace(pattern, REDACTED);
    }
    return toStorableText(out);
  }

  private walk(input: unknown): unknown {
    if (typeof input === 'string') return this.clean(input);
    if (input === null || typeof input !== 'object') {
      // JSON has no NaN/Infinity: store what the hash will see after a round trip.
      return typeof input === 'number' && !Number.isFinite(input) ? null : input;
    }
    if (Array.isArray(input)) return input.map((v) => this.walk(v));
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(input)) out[this.clean(key)] = this.walk(v);
    return out;
  }
}

/**
 * The exact values of the secrets this process holds (and each entry of a private keyring). In
 * production that is AUDIT_CHAIN_KEY alone: config refuses the others here, and each producer
 * redacts its own secrets' exact values before an event leaves it (GatewayAudit); what remains
 * for this app is the shapes and names above, which need no secret.
 */
function exactSecrets(config: AppConfig): string[] {
  const values = [
    config.AUDIT_CHAIN_KEY,
    config.ADMIN_API_KEY,
    config.KEY_PEPPER,
    config.CREDENTIALS_PRIVATE_KEYS,
  ];
  for (const entry of (config.CREDENTIALS_PRIVATE_KEYS ?? '').split(',')) {
    const trimmed = entry.trim();
    values.push(trimmed, trimmed.slice(trimmed.indexOf(':') + 1));
  }
  // Longest first, so a secret that contains another is hidden whole.
  return [
    ...new Set(values.filter((v): v is string => typeof v === 'string' && v.length >= 8)),
  ].sort((a, b) => b.length - a.length);
}
