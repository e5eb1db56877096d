/** The one-click connect toggle: on while connecting or connected; clicking it again disconnects (or cancels). */
import type { StatusSummary } from '../logic/status';
import { useActions } from '../store/context';

export function ConnectSwitch({
  profileId,
  name,
  summary,
  size = 'small',
}: {
  profileId: string;
  name: string;
  summary: StatusSummary;
  size?: 'small' | 'large';
}) {
  const { toggle } = useActions();
  return (
    <button
      type="button"
      role="switch"
      aria-checked={summary.on}
      aria-label={`Connect ${name}`}
      className={`connect-switch ${size} tone-${summary.tone}`}
      // aria-disabled, not disabled: a disabled button drops keyboard focus while a request is in flight.
      aria-disabled={summary.locked || undefined}
      data-testid={`connect-${profileId}`}
      onClick={() => {
        if (!summary.locked) void toggle(profileId);
      }}
    >
      <span className="connect-switch-thumb" aria-hidden="true" />
    </button>
  );
}

/** The big labelled button of the status view: Connect / Cancel / Disconnect. */
export function ConnectButton({ profileId, summary }: { profileId: string; summary: StatusSummary }) {
  const { toggle } = useActions();
  const label =
    summary.tone === 'ok'
      ? 'Disconnect'
      : summary.on
        ? summary.tone === 'busy'
          ? 'Cancel'
          : 'Disconnect'
        : 'Connect';
  return (
    <button
      type="button"
      className={`button ${summary.on ? 'secondary' : 'primary'} connect-button`}
      aria-disabled={summary.locked || undefined}
      onClick={() => {
        if (!summary.locked) void toggle(profileId);
      }}
    >
      {label}
    </button>
  );
}
