import { useState } from 'preact/hooks';
import { call, query, type Page } from '../api';
import type { Key, KeyWithSecret } from '../types';
import { ConfirmButton, Empty, ErrorNote, Field, formatDate, messageOf, useLoaded } from '../ui';
import { SecretOnce } from './secret-once';

const PAGE_SIZE = 20;

/** A positive whole number from a form field, or null when it is empty. */
function count(form: HTMLFormElement, name: string): number | null {
  const raw = (form.elements.namedItem(name) as HTMLInputElement).value.trim();
  return raw === '' ? null : Number(raw);
}

function text(form: HTMLFormElement, name: string): string {
  return (form.elements.namedItem(name) as HTMLInputElement).value.trim();
}

function models(raw: string): string[] {
  return raw
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
}

function CreateKeyForm({ onCreated }: { onCreated: (key: KeyWithSecret) => void }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      class="panel"
      aria-labelledby="create-key-title"
      onSubmit={(event) => {
        event.preventDefault();
        const form = event.currentTarget;
        const expiry = text(form, 'expires_at');
        call<KeyWithSecret>('POST', '/keys', {
          name: text(form, 'name') || null,
          allowed_models: models(text(form, 'allowed_models')),
          requests_per_minute: count(form, 'requests_per_minute'),
          tokens_per_day: count(form, 'tokens_per_day'),
          cost_per_day: count(form, 'cost_per_day'),
          cost_per_month: count(form, 'cost_per_month'),
          expires_at: expiry ? new Date(expiry).toISOString() : null,
        })
          .then((created) => {
            form.reset();
            setError(null);
            onCreated(created);
          })
          .catch((err: unknown) => setError(messageOf(err)));
      }}
    >
      <h2 id="create-key-title">Create a key</h2>
      <div class="grid">
        <Field id="key-name" label="Name">
          <input id="key-name" name="name" maxLength={200} required />
        </Field>
        <Field id="key-models" label="Allowed models" hint="Comma-separated; empty allows all.">
          <input id="key-models" name="allowed_models" aria-describedby="key-models-hint" />
        </Field>
        <Field id="key-rpm" label="Requests per minute" hint="Empty: the gateway default.">
          <input
            id="key-rpm"
            name="requests_per_minute"
            type="number"
            min={1}
            aria-describedby="key-rpm-hint"
          />
        </Field>
        <Field id="key-tpd" label="Tokens per day">
          <input id="key-tpd" name="tokens_per_day" type="number" min={1} />
        </Field>
        <Field id="key-cpd" label="Cost per day (US cents)">
          <input id="key-cpd" name="cost_per_day" type="number" min={1} />
        </Field>
        <Field id="key-cpm" label="Cost per month (US cents)">
          <input id="key-cpm" name="cost_per_month" type="number" min={1} />
        </Field>
        <Field id="key-expiry" label="Expires" hint="Empty: never.">
          <input
            id="key-expiry"
            name="expires_at"
            type="datetime-local"
            aria-describedby="key-expiry-hint"
          />
        </Field>
      </div>
      <button type="submit">Create key</button>
      <ErrorNote error={error} />
    </form>
  );
}

function KeyRow({
  k,
  onChanged,
  onSecret,
}: {
  k: Key;
  onChanged: () => void;
  onSecret: (s: string) => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const act = (run: () => Promise<unknown>) =>
    run()
      .then(() => {
        setError(null);
        onChanged();
      })
      .catch((err: unknown) => setError(messageOf(err)));
  return (
    <tr>
      <th scope="row">
        {k.name ?? '(no name)'}
        <br />
        <code>{k.prefix}</code>
      </th>
      <td>
        <span class={`badge ${k.status}`}>{k.status}</span>
      </td>
      <td>{k.allowed_models.length ? k.allowed_models.join(', ') : 'all'}</td>
      <td>{k.requests_per_minute ?? 'default'}</td>
      <td>{formatDate(k.expires_at)}</td>
      <td>{formatDate(k.last_used_at)}</td>
      <td class="actions">
        {k.status !== 'revoked' && (
          <>
            {editing ? (
              <form
                onSubmit={(event) => {
                  event.preventDefault();
                  const form = event.currentTarget;
                  void act(() =>
                    call('PATCH', `/keys/${k.id}`, {
                      name: text(form, 'name') || null,
                      requests_per_minute: count(form, 'requests_per_minute'),
                      allowed_models: models(text(form, 'allowed_models')),
                    }),
                  ).then(() => setEditing(false));
                }}
              >
                <label for={`name-${k.id}`}>Name</label>
                <input id={`name-${k.id}`} name="name" defaultValue={k.name ?? ''} />
                <label for={`rpm-${k.id}`}>Requests/min</label>
                <input
                  id={`rpm-${k.id}`}
                  name="requests_per_minute"
                  type="number"
                  min={1}
                  defaultValue={k.requests_per_minute?.toString() ?? ''}
                />
                <label for={`models-${k.id}`}>Models</label>
                <input
                  id={`models-${k.id}`}
                  name="allowed_models"
                  defaultValue={k.allowed_models.join(', ')}
                />
                <button type="submit">Save</button>
                <button type="button" onClick={() => setEditing(false)}>
                  Cancel
                </button>
              </form>
            ) : (
              <button type="button" onClick={() => setEditing(true)}>
                Edit
              </button>
            )}
            <button
              type="button"
              onClick={() =>
                void act(async () => {
                  const rotated = await call<KeyWithSecret>('POST', `/keys/${k.id}/rotate`, {
                    grace_seconds: 3600,
                  });
                  onSecret(rotated.key);
                })
              }
            >
              Rotate (old key valid 1 h)
            </button>
            <ConfirmButton
              label="Revoke"
              confirmLabel="Revoke now"
              question={`Revoke ${k.name ?? k.prefix}? Clients using it stop working at once.`}
              onConfirm={() => act(() => call('POST', `/keys/${k.id}/revoke`))}
            />
          </>
        )}
        <ErrorNote error={error} />
      </td>
    </tr>
  );
}

export function KeysPage() {
  const [cursor, setCursor] = useState<string | null>(null);
  const [history, setHistory] = useState<(string | null)[]>([]);
  const [search, setSearch] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const page = useLoaded(
    () => call<Page<Key>>('GET', `/keys${query({ limit: PAGE_SIZE, cursor, search })}`),
    [cursor, search],
  );
  return (
    <>
      {secret && <SecretOnce secret={secret} onDone={() => setSecret(null)} />}
      <CreateKeyForm
        onCreated={(created) => {
          setSecret(created.key);
          void page.reload();
        }}
      />
      <section aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        <form
          role="search"
          class="inline"
          onSubmit={(event) => {
            event.preventDefault();
            setHistory([]);
            setCursor(null);
            setSearch(text(event.currentTarget, 'search'));
          }}
        >
          <label for="key-search">Search by name or prefix</label>
          <input id="key-search" name="search" type="search" />
          <button type="submit">Search</button>
        </form>
        <ErrorNote error={page.error} />
        {page.data && page.data.data.length === 0 && (
          <Empty>
            {search
              ? 'No key matches that search.'
              : 'No keys yet. Create one above and hand it to a client.'}
          </Empty>
        )}
        {page.data && page.data.data.length > 0 && (
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
            <table>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Status</th>
                  <th scope="col">Models</th>
                  <th scope="col">Requests/min</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {page.data.data.map((k) => (
                  <KeyRow
                    key={k.id}
                    k={k}
                    onChanged={() => void page.reload()}
                    onSecret={setSecret}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div class="pager">
          <button
            type="button"
            disabled={history.length === 0}
            onClick={() => {
              setCursor(history[history.length - 1] ?? null);
              setHistory(history.slice(0, -1));
            }}
          >
            Previous page
          </button>
          <button
            type="button"
            disabled={!page.data?.next_cursor}
            onClick={() => {
              setHistory([...history, cursor]);
              setCursor(page.data?.next_cursor ?? null);
            }}
          >
            Next page
          </button>
        </div>
      </section>
    </>
  );
}
