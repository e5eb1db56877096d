/** The profile list with live status and a connect toggle per profile, plus the app's main actions. */
import { useRef } from 'react';
import type { ProfileView } from '../../core/api/ipc';
import { readText } from '../dom/files';
import { useNow } from '../dom/hooks';
import { overallTone, summarize } from '../logic/status';
import { useActions, useFerry } from '../store/context';
import { ConnectSwitch } from './ConnectSwitch';
import { Icon } from './ui/Icon';

function ProfileRow({ view, selected }: { view: ProfileView; selected: boolean }) {
  const id = view.profile.id;
  const connection = useFerry((s) => s.connections[id]);
  const pending = useFerry((s) => s.pending[id]);
  const at = useFerry((s) => s.connectionsAt[id] ?? 0);
  const now = useNow(1000, connection?.reconnect != null);
  const summary = summarize(connection, pending, now - at);
  const { select } = useActions();
  return (
    <li className={`profile-row tone-${summary.tone}${selected ? ' selected' : ''}`} data-profile-id={id}>
      <button
        type="button"
        className="profile-select"
        aria-current={selected ? 'true' : undefined}
        onClick={() => select(id)}
      >
        <span className="status-dot" aria-hidden="true" />
        <span className="profile-text">
          <span className="profile-name">
            {view.profile.name}
            {view.locked || view.managed ? (
              <span className="badge locked" title="Managed by your organisation">
                <Icon name="lock" />
                <span className="sr-only">(managed{view.locked ? ', locked' : ''})</span>
              </span>
            ) : null}
          </span>
          <span className="profile-status" data-testid="profile-status">
            {summary.label}
          </span>
          {summary.detail ? <span className="profile-detail">{summary.detail}</span> : null}
        </span>
      </button>
      <ConnectSwitch profileId={id} name={view.profile.name} summary={summary} />
    </li>
  );
}

function ImportProfileButton() {
  const input = useRef<HTMLInputElement>(null);
  const { importProfile, notify } = useActions();
  const onFile = async (file: File | undefined): Promise<void> => {
    if (!file) return;
    if (file.size > 1024 * 1024) {
      notify('error', 'Could not import the profile', `${file.name} is larger than 1 MiB.`);
      return;
    }
    const r = await importProfile(await readText(file));
    if (r.type === 'error') {
      const fields = (r.error.fields ?? []).map((f) => `${f.path || 'file'}: ${f.message}`);
      notify('error', `Could not import ${file.name}`, [r.error.message, ...fields].join(' · '));
    }
    if (input.current) input.current.value = '';
  };
  return (
    <>
      <button type="button" className="button ghost" onClick={() => input.current?.click()}>
        <Icon name="upload" /> Import
      </button>
      <input
        ref={input}
        type="file"
        accept=".json,.ferry.json,application/json"
        hidden
        tabIndex={-1}
        aria-label="Import a .ferry.json profile"
        data-testid="import-profile-input"
        onChange={(e) => void onFile(e.target.files?.[0])}
      />
    </>
  );
}

export function Sidebar() {
  const profiles = useFerry((s) => s.profiles);
  const selectedId = useFerry((s) => s.selectedId);
  const view = useFerry((s) => s.view);
  const tone = useFerry((s) => overallTone(s.profiles.map((p) => summarize(s.connections[p.profile.id]))));
  const { show } = useActions();
  return (
    <aside className="sidebar">
      <header className={`brand tone-${tone}`}>
        <Icon name="shield" className="brand-mark" />
        <span className="brand-name">Ferry</span>
      </header>
      <nav className="profile-nav" aria-label="Profiles">
        {profiles.length ? (
          <ul className="profile-list">
            {profiles.map((p) => (
              <ProfileRow
                key={p.profile.id}
                view={p}
                selected={p.profile.id === selectedId && view !== 'settings' && view !== 'new'}
              />
            ))}
          </ul>
        ) : (
          <p className="empty-list">No profiles yet.</p>
        )}
      </nav>
      <div className="sidebar-actions">
        <button
          type="button"
          className="button ghost"
          aria-pressed={view === 'new'}
          onClick={() => show('new')}
        >
          <Icon name="plus" /> New profile
        </button>
        <ImportProfileButton />
        <button
          type="button"
          className="button ghost"
          aria-pressed={view === 'settings'}
          onClick={() => show('settings')}
        >
          <Icon name="settings" /> Settings
        </button>
      </div>
    </aside>
  );
}
