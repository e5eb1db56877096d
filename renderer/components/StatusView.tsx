/** The profile's current situation in words: the failure with its hint, or what the tunnel got. */
import type { ProfileView } from '../../core/api/ipc';
import { PHASE_LABELS } from '../../core/common/errors';
import { useNow } from '../dom/hooks';
import { formatDuration } from '../logic/format';
import { useFerry } from '../store/context';
import { Icon } from './ui/Icon';

const METHOD_LABELS = { mschapv2: 'MS-CHAPv2', eap: 'EAP', chap: 'CHAP', pap: 'PAP' } as const;
const MFA_LABELS = {
  none: 'None',
  'otp-append': 'One-time code appended to the password',
  'otp-prompt': 'One-time code prompt',
  push: 'Push approval',
} as const;

export function StatusView({ view }: { view: ProfileView }) {
  const p = view.profile;
  const connection = useFerry((s) => s.connections[p.id]);
  const state = connection?.state;
  const now = useNow(1000, state?.kind === 'connected');
  return (
    <div className="status-view">
      {state?.kind === 'failed' ? (
        <div className="callout error" role="alert" data-testid="failure">
          <Icon name="warning" />
          <div>
            <h2>{PHASE_LABELS[state.phase]} failed</h2>
            <p className="failure-hint">{state.hint}</p>
            <p className="failure-message">
              {state.message} <code>{state.code}</code>
            </p>
          </div>
        </div>
      ) : null}
      {view.warnings.length ? (
        <ul className="callout warning" aria-label="Warnings">
          {view.warnings.map((w) => (
            <li key={w}>
              <Icon name="warning" /> {w}
            </li>
          ))}
        </ul>
      ) : null}
      {state?.kind === 'connected' ? (
        <section className="card" aria-labelledby="tunnel-heading">
          <h2 id="tunnel-heading">Tunnel</h2>
          <dl className="facts">
            <dt>Your VPN address</dt>
            <dd data-testid="local-ip">{state.addresses.localIp}</dd>
            <dt>Connected for</dt>
            <dd>{formatDuration(Math.max(0, now - state.since))}</dd>
            <dt>DNS servers</dt>
            <dd>{state.addresses.dns.join(', ') || '—'}</dd>
            <dt>Routes</dt>
            <dd>{connection?.routes.join(', ') || '—'}</dd>
            <dt>Security</dt>
            <dd>{[state.algorithms.ike, state.algorithms.esp].filter(Boolean).join(' · ') || '—'}</dd>
          </dl>
        </section>
      ) : null}
      <section className="card" aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        <dl className="facts">
          <dt>Server</dt>
          <dd>{p.server}</dd>
          <dt>Machine authentication</dt>
          <dd>
            {p.machineAuth.method === 'psk' ? 'Pre-shared key' : 'Certificate'}
            {p.machineAuth.method === 'psk' && !view.secrets.psk ? (
              <span className="inline-warning"> · not set</span>
            ) : null}
          </dd>
          <dt>User</dt>
          <dd>
            {p.userAuth.username} ({p.userAuth.methods.map((m) => METHOD_LABELS[m]).join(', ')})
            {!view.secrets.password ? <span className="inline-warning"> · no password stored</span> : null}
          </dd>
          <dt>Second factor</dt>
          <dd>{MFA_LABELS[p.mfa.mode]}</dd>
          <dt>Routing</dt>
          <dd>
            {p.routing.mode === 'full'
              ? 'All traffic through the VPN'
              : `Only ${p.routing.subnets.join(', ') || 'no subnets'}`}
          </dd>
          <dt>Reconnect</dt>
          <dd>{p.autoReconnect ? 'Automatically' : 'Manually'}</dd>
        </dl>
      </section>
    </div>
  );
}
