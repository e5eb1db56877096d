/** The window: sidebar with profiles, the selected profile (status, diagnostics, editor) or settings, MFA modal. */
import { useEffect } from 'react';
import { applyTheme } from '../dom/theme';
import { useActions, useFerry } from '../store/context';
import { profileById } from '../store/state';
import { ProfileEditor } from './editor/ProfileEditor';
import { MfaDialog } from './MfaDialog';
import { Notices } from './Notices';
import { ProfilePanel } from './ProfilePanel';
import { SettingsView } from './SettingsView';
import { Sidebar } from './Sidebar';
import { Icon } from './ui/Icon';

function Splash() {
  return (
    <div className="splash" role="status">
      <Icon name="shield" className="brand-mark large" />
      <p>Starting Ferry…</p>
    </div>
  );
}

function Unavailable() {
  const error = useFerry((s) => s.loadError);
  const { retry } = useActions();
  return (
    <div className="splash" role="alert">
      <Icon name="warning" className="brand-mark large" />
      <h1>Ferry’s service is not reachable</h1>
      <p>
        {error ? `${error.message}${error.hint ? ` — ${error.hint}` : ''}` : 'No answer from the service.'}
      </p>
      <button type="button" className="button primary" onClick={() => void retry()}>
        Try again
      </button>
    </div>
  );
}

function EmptyState() {
  const { show } = useActions();
  return (
    <div className="empty-state">
      <Icon name="shield" className="brand-mark large" />
      <h1>Welcome to Ferry</h1>
      <p>Create a VPN profile with the details from your IT department, or import a .ferry.json file.</p>
      <button type="button" className="button primary" onClick={() => show('new')}>
        <Icon name="plus" /> New profile
      </button>
    </div>
  );
}

function MainView() {
  const view = useFerry((s) => s.view);
  const selected = useFerry((s) => profileById(s, s.selectedId));
  if (view === 'settings') return <SettingsView />;
  if (view === 'new') return <ProfileEditor key="new" view={null} />;
  if (!selected) return <EmptyState />;
  return <ProfilePanel key={selected.profile.id} view={selected} />;
}

export function App() {
  const status = useFerry((s) => s.status);
  const theme = useFerry((s) => s.settings.theme);
  useEffect(() => applyTheme(theme), [theme]);
  if (status === 'loading') return <Splash />;
  if (status === 'unavailable') return <Unavailable />;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <Sidebar />
      <main id="main" className="content" tabIndex={-1}>
        <MainView />
      </main>
      <Notices />
      <MfaDialog />
    </div>
  );
}
