/** App settings: launch at login and theme. */
import type { Settings } from '../../core/api/ipc';
import { useActions, useFerry } from '../store/context';
import { RadioGroup, SwitchField } from './ui/Field';

export function SettingsView() {
  const settings = useFerry((s) => s.settings);
  const version = useFerry((s) => s.version);
  const { setSettings } = useActions();
  return (
    <article className="settings-view" aria-labelledby="settings-title">
      <header className="panel-header">
        <div className="panel-title">
          <h1 id="settings-title">Settings</h1>
        </div>
      </header>
      <div className="card">
        <SwitchField
          id="launchAtLogin"
          label="Launch Ferry at login"
          help="Start in the tray when you sign in; profiles with auto-connect connect then."
          checked={settings.launchAtLogin}
          onChange={(launchAtLogin) => void setSettings({ launchAtLogin })}
        />
        <RadioGroup<Settings['theme']>
          name="theme"
          legend="Theme"
          value={settings.theme}
          options={[
            { value: 'system', label: 'Same as the system' },
            { value: 'light', label: 'Light' },
            { value: 'dark', label: 'Dark' },
          ]}
          onChange={(theme) => void setSettings({ theme })}
        />
      </div>
      <p className="version">Ferry {version}</p>
    </article>
  );
}
