import { APP_CONFIG, type AppConfig } from '@gatehouse/config';
import type { PiiMapping } from '@gatehouse/pii';
import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Seals the placeholder → original mapping of a masked async job, so the originals are in
 * Postgres only encrypted (AES-256-GCM, a key only the gateway holds) and only for as long as
 * the job's row. The job's id is the associated data: a mapping cannot be moved to another job.
 */
@Injectable()
export class PiiVault {
  private readonly key: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const secret = config.PII_VAULT_KEY;
    if (!secret) throw new Error('PII_VAULT_KEY is required by the gateway');
    this.key = Buffer.from(hkdfSync('sha256', secret, '', 'gatehouse pii vault v1', 32));
  }

  seal(mapping: PiiMapping, jobId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(jobId));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(mapping), 'utf8'), cipher.final()]);
    return [VERSION, iv, sealed, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** The mapping, or undefined when it cannot be opened (another key, another job, tampered). */
  open(sealed: string, jobId: string): PiiMapping | undefined {
    const [version, iv, data, tag] = sealed.split('.');
    if (version !== VERSION || !iv || !data || !tag) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(jobId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const text = Buffer.concat([
        decipher.update(Buffer.from(data, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
      return JSON.parse(text) as PiiMapping;
    } catch {
      return undefined;
    }
  }
}
