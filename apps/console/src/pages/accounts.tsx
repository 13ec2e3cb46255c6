import { useState } from 'preact/hooks';
import { call, type Page } from '../api';
import type { Account } from '../types';
import { ConfirmButton, Empty, ErrorNote, Field, formatDate, messageOf, useLoaded } from '../ui';

function value(form: HTMLFormElement, name: string): string {
  return (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value.trim();
}

function CreateAccountForm({ onCreated }: { onCreated: () => void }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      class="panel"
      aria-labelledby="create-account-title"
      autocomplete="off"
      onSubmit={(event) => {
        event.preventDefault();
        const form = event.currentTarget;
        call<Account>('POST', '/accounts', {
          name: value(form, 'name'),
          provider: value(form, 'provider'),
          base_url: value(form, 'base_url'),
          credential: value(form, 'credential'),
          models: value(form, 'models')
            .split(',')
            .map((m) => m.trim())
            .filter(Boolean),
        })
          .then(() => {
            // The credential leaves the page with this request and is sealed by the gateway.
            form.reset();
            setError(null);
            onCreated();
          })
          .catch((err: unknown) => setError(messageOf(err)));
      }}
    >
      <h2 id="create-account-title">Add an upstream account</h2>
      <div class="grid">
        <Field id="account-name" label="Name">
          <input id="account-name" name="name" required maxLength={200} />
        </Field>
        <Field id="account-provider" label="Provider">
          <select id="account-provider" name="provider">
            <option value="openai">OpenAI-compatible</option>
            <option value="anthropic">Anthropic</option>
          </select>
        </Field>
        <Field id="account-url" label="Base URL">
          <input
            id="account-url"
            name="base_url"
            type="url"
            required
            placeholder="https://api.openai.com/v1"
          />
        </Field>
        <Field
          id="account-credential"
          label="Credential"
          hint="Write-only: sealed at once, never shown again."
        >
          <input
            id="account-credential"
            name="credential"
            type="password"
            required
            autocomplete="new-password"
            aria-describedby="account-credential-hint"
          />
        </Field>
        <Field id="account-models" label="Models" hint="Comma-separated; empty serves any model.">
          <input id="account-models" name="models" aria-describedby="account-models-hint" />
        </Field>
      </div>
      <button type="submit">Add account</button>
      <ErrorNote error={error} />
    </form>
  );
}

function AccountRow({ a, onChanged }: { a: Account; onChanged: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const act = (run: () => Promise<unknown>) =>
    run()
      .then(() => {
        setError(null);
        onChanged();
      })
      .catch((err: unknown) => setError(messageOf(err)));
  return (
    <tr>
      <th scope="row">{a.name}</th>
      <td>{a.provider}</td>
      <td>
        <code>{a.base_url}</code>
      </td>
      <td>{a.models.length ? a.models.join(', ') : 'any'}</td>
      <td>
        <span class={`badge ${a.status}`}>{a.status}</span>
      </td>
      <td>{a.cooldown_until ? `until ${formatDate(a.cooldown_until)}` : 'none'}</td>
      <td>
        {a.priority} / {a.weight}
      </td>
      <td>{formatDate(a.created_at)}</td>
      <td class="actions">
        {a.status === 'active' ? (
          <button
            type="button"
            onClick={() => void act(() => call('POST', `/accounts/${a.id}/pause`))}
          >
            Pause
          </button>
        ) : (
          <button
            type="button"
            onClick={() => void act(() => call('POST', `/accounts/${a.id}/resume`))}
          >
            Resume
          </button>
        )}
        <ConfirmButton
          label="Delete"
          confirmLabel="Delete now"
          question={`Delete ${a.name}? Its sealed credential is destroyed.`}
          onConfirm={() => act(() => call('DELETE', `/accounts/${a.id}`))}
        />
        <ErrorNote error={error} />
      </td>
    </tr>
  );
}

export function AccountsPage() {
  const list = useLoaded(() => call<Page<Account>>('GET', '/accounts?limit=100'), []);
  return (
    <>
      <CreateAccountForm onCreated={() => void list.reload()} />
      <section aria-labelledby="accounts-title">
        <h2 id="accounts-title">Accounts</h2>
        <ErrorNote error={list.error} />
        {list.data && list.data.data.length === 0 && (
          <Empty>
            No upstream accounts yet. Add one above so keys have somewhere to send requests.
          </Empty>
        )}
        {list.data && list.data.data.length > 0 && (
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Base URL</th>
                  <th scope="col">Models</th>
                  <th scope="col">Status</th>
                  <th scope="col">Cooldown</th>
                  <th scope="col">Priority / weight</th>
                  <th scope="col">Created</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.data.data.map((a) => (
                  <AccountRow key={a.id} a={a} onChanged={() => void list.reload()} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
