/** Transient notices (saved, imported) and errors that wait for the user; announced to screen readers. */
import { useActions, useFerry } from '../store/context';
import { Icon } from './ui/Icon';

export function Notices() {
  const notices = useFerry((s) => s.notices);
  const { dismiss } = useActions();
  return (
    <section className="notices" aria-label="Notifications">
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.tone}`} role={n.tone === 'error' ? 'alert' : 'status'}>
          <Icon
            name={
              n.tone === 'error' || n.tone === 'warning' ? 'warning' : n.tone === 'success' ? 'check' : 'info'
            }
          />
          <div className="notice-text">
            <strong>{n.title}</strong>
            {n.detail ? <span>{n.detail}</span> : null}
          </div>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            <Icon name="close" />
          </button>
        </div>
      ))}
    </section>
  );
}
