/** One profile: header with the connect button, then Status / Diagnostics / Edit tabs. */
import type { ProfileView } from '../../core/api/ipc';
import { useNow } from '../dom/hooks';
import { summarize } from '../logic/status';
import { useActions, useFerry } from '../store/context';
import type { View } from '../store/state';
import { ConnectButton } from './ConnectSwitch';
import { Diagnostics } from './diagnostics/Diagnostics';
import { ProfileEditor } from './editor/ProfileEditor';
import { StatusView } from './StatusView';
import { TabList } from './Tabs';
import { Icon } from './ui/Icon';

type PanelTab = Extract<View, 'status' | 'diagnostics' | 'edit'>;
const TABS = [
  { id: 'status', label: 'Status' },
  { id: 'diagnostics', label: 'Diagnostics' },
  { id: 'edit', label: 'Edit' },
] as const;

export function ProfilePanel({ view }: { view: ProfileView }) {
  const id = view.profile.id;
  const tab = useFerry((s) => s.view) as PanelTab;
  const connection = useFerry((s) => s.connections[id]);
  const pending = useFerry((s) => s.pending[id]);
  const at = useFerry((s) => s.connectionsAt[id] ?? 0);
  const now = useNow(1000, connection?.reconnect != null);
  const summary = summarize(connection, pending, now - at);
  const { show } = useActions();
  return (
    <article className="profile-panel" aria-labelledby="profile-title">
      <header className={`panel-header tone-${summary.tone}`}>
        <div className="panel-title">
          <h1 id="profile-title">
            {view.profile.name}
            {view.managed ? (
              <span className="badge">
                <Icon name="lock" /> {view.locked ? 'Managed · locked' : 'Managed'}
              </span>
            ) : null}
          </h1>
          <p className="panel-subtitle">
            {view.profile.server} · {view.profile.userAuth.username}
          </p>
          <p className="panel-status" aria-live="polite" data-testid="panel-status">
            <span className="status-dot" aria-hidden="true" /> {summary.label}
            {/* A failure's hint is spelled out in the callout below; the header keeps to IP, step or attempt. */}
            {summary.detail && summary.tone !== 'error' ? (
              <span className="panel-status-detail">· {summary.detail}</span>
            ) : null}
          </p>
        </div>
        <ConnectButton profileId={id} summary={summary} />
      </header>
      <TabList label="Profile views" tabs={TABS} selected={tab} onSelect={show} idPrefix="profile" />
      <section
        className="tab-panel"
        id="profile-panel"
        role="tabpanel"
        aria-labelledby={`profile-tab-${tab}`}
        tabIndex={-1}
      >
        {tab === 'diagnostics' ? (
          <Diagnostics profileId={id} />
        ) : tab === 'edit' ? (
          <ProfileEditor view={view} />
        ) : (
          <StatusView view={view} />
        )}
      </section>
    </article>
  );
}
