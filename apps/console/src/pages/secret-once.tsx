import { useEffect, useRef, useState } from 'preact/hooks';

/** A new secret, shown this once: the gateway stores only its hash and cannot show it again. */
export function SecretOnce({ secret, onDone }: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <section class="secret" aria-labelledby="secret-title" ref={ref} tabIndex={-1}>
      <h2 id="secret-title">Copy the key now</h2>
      <p>It is shown only this once; the gateway keeps only a hash of it.</p>
      <output class="secret-value" aria-label="New key">
        {secret}
      </output>
      <div class="actions">
        <button
          type="button"
          onClick={() => {
            navigator.clipboard
              .writeText(secret)
              .then(() => setCopied('Copied.'))
              .catch(() => setCopied('Copying is not allowed here; select the key and copy it.'));
          }}
        >
          Copy
        </button>
        <button type="button" onClick={onDone}>
          I have copied it
        </button>
        <span role="status">{copied}</span>
      </div>
    </section>
  );
}
