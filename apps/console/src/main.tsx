import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentSession, signIn, signOut, whenSessionEnds } from './api';
import { AccountsPage } from './pages/accounts';
import { AuditPage } from './pages/audit';
import { KeysPage } from './pages/keys';
import { OverviewPage } from './pages/overview';
import { UsagePage } from './pages/usage';
import { ErrorNote, messageOf } from './ui';
import 'uplot/dist/uPlot.min.css';
import './console.css';

const PAGES = {
  overview: { title: 'Overview', view: OverviewPage },
  keys: { title: 'Keys', view: KeysPage },
  accounts: { title: 'Accounts', view: AccountsPage },
  usage: { title: 'Usage', view: UsagePage },
  audit: { title: 'Audit', view: AuditPage },
} as const;
type PageName = keyof typeof PAGES;

function pageFromHash(): PageName {
  const name = location.hash.replace(/^#\/?/, '');
  return name in PAGES ? (name as PageName) : 'overview';
}

function SignIn({ onSignedIn, notice }: { onSignedIn: () => void; notice: string | null }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main class="sign-in">
      <h1>Gatehouse console</h1>
      {notice && <p role="status">{notice}</p>}
      <form
        autocomplete="off"
        onSubmit={(event) => {
          event.preventDefault();
          const input = event.currentTarget.elements.namedItem('admin-key') as HTMLInputElement;
          setBusy(true);
          // The key is read from the field, sent once, and the field is cleared: it is kept
          // nowhere in the page, and the session cookie (HttpOnly) replaces it.
          const key = input.value.trim();
          input.value = '';
          signIn(key)
            .then(() => onSignedIn())
            .catch((err: unknown) => setError(messageOf(err)))
            .finally(() => setBusy(false));
        }}
      >
        <label for="admin-key">Admin key</label>
        <input id="admin-key" name="admin-key" type="password" required spellcheck={false} />
        <p class="hint">
          The key <code>npm start</code> printed, or <code>ADMIN_API_KEY</code>. It is sent once to
          start a session and never stored in this browser.
        </p>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}

function Console() {
  const [state, setState] = useState<'checking' | 'signed-out' | 'signed-in'>('checking');
  const [notice, setNotice] = useState<string | null>(null);
  const [page, setPage] = useState<PageName>(pageFromHash());

  useEffect(() => {
    whenSessionEnds(() => {
      setNotice('Your session has ended; sign in again.');
      setState('signed-out');
    });
    currentSession()
      .then((s) => setState(s ? 'signed-in' : 'signed-out'))
      .catch((err: unknown) => {
        setNotice(messageOf(err));
        setState('signed-out');
      });
    const onHash = () => setPage(pageFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    document.title = `${PAGES[page].title} · Gatehouse console`;
  }, [page]);

  if (state === 'checking') return <p role="status">Loading…</p>;
  if (state === 'signed-out') {
    return (
      <SignIn
        notice={notice}
        onSignedIn={() => {
          setNotice(null);
          setState('signed-in');
        }}
      />
    );
  }
  const View = PAGES[page].view;
  return (
    <>
      <a class="skip" href="#content">
        Skip to content
      </a>
      <header>
        <span class="brand">Gatehouse</span>
        <nav aria-label="Console">
          <ul>
            {(Object.keys(PAGES) as PageName[]).map((name) => (
              <li key={name}>
                <a href={`#/${name}`} aria-current={name === page ? 'page' : undefined}>
                  {PAGES[name].title}
                </a>
              </li>
            ))}
            <li>
              <a href="/admin/queues" target="_blank" rel="noopener">
                Queue board
              </a>
            </li>
            <li>
              <a href="/api/v1/docs" target="_blank" rel="noopener">
                API docs
              </a>
            </li>
          </ul>
        </nav>
        <button
          type="button"
          onClick={() => {
            void signOut().finally(() => {
              setNotice('You have signed out.');
              setState('signed-out');
            });
          }}
        >
          Sign out
        </button>
      </header>
      <main id="content" tabIndex={-1}>
        <h1>{PAGES[page].title}</h1>
        <View />
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<Console />, root);
