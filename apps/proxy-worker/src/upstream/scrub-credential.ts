import { REDACTED, type Redactor } from '@gatehouse/redact';

/** A run of the credential this long or longer in an answer is taken as (part of) it. */
const MIN_RUN = 5;
/** Error bodies are small; a longer one is scanned this far and cut there. */
const MAX_SCANNED = 64 * 1024;

/**
 * An upstream answer that is relayed to the client (a 4xx in the provider's own format, which
 * SDKs parse) without the account's credential: not whole, and not in part either, since
 * providers echo keys half-masked ("Incorrect API key provided: sk-abcd****wxyz"). Every run of
 * five or more characters that also occurs in the credential is replaced, then anything else
 * credential-looking, by the shared redactor. Linear in the body: one set lookup per position.
 */
export function scrubCredential(body: string, credential: string, redactor: Redactor): string {
  const text = body.length > MAX_SCANNED ? body.slice(0, MAX_SCANNED) : body;
  const grams = new Set<string>();
  for (let i = 0; i + MIN_RUN <= credential.length; i++)
    grams.add(credential.slice(i, i + MIN_RUN));
  const hidden = new Uint8Array(text.length);
  let found = false;
  for (let i = 0; i + MIN_RUN <= text.length; i++) {
    if (!grams.has(text.slice(i, i + MIN_RUN))) continue;
    hidden.fill(1, i, i + MIN_RUN);
    found = true;
  }
  let out = text;
  if (found) {
    out = '';
    for (let i = 0; i < text.length;) {
      if (hidden[i] !== 1) {
        out += text.charAt(i++);
        continue;
      }
      while (i < text.length && hidden[i] === 1) i++;
      out += REDACTED;
    }
  }
  return redactor.text(out);
}
