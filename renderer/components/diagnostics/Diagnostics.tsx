/** Diagnostics (SPEC §4): phase timeline, counters, what was negotiated and assigned, the log, and an export. */
import { useEffect, useState } from 'react';
import type { ConnectionView } from '../../../core/api/ipc';
import { saveTextFile } from '../../dom/download';
import { useActions, useFerry } from '../../store/context';
import { Icon } from '../ui/Icon';
import { Counters } from './Counters';
import { LogView } from './LogView';
import { Timeline } from './Timeline';

function Negotiated({ connection }: { connection: ConnectionView | undefined }) {
  const state = connection?.state;
  if (state?.kind !== 'connected')
    return (
      <section className="card" aria-labelledby="negotiated-heading">
        <h2 id="negotiated-heading">Session</h2>
        <p className="muted">Details appear once connected.</p>
      </section>
    );
  const a = state.algorithms;
  const ad = state.addresses;
  return (
    <section className="card" aria-labelledby="negotiated-heading">
      <h2 id="negotiated-heading">Session</h2>
      {a.legacy ? (
        <p className="callout warning">
          <Icon name="warning" /> A legacy algorithm was negotiated. Ask the server’s administrator to
          upgrade.
        </p>
      ) : null}
      <dl className="facts" data-testid="negotiated">
        <dt>IKE (phase 1)</dt>
        <dd>{a.ike ?? '—'}</dd>
        <dt>ESP (phase 2)</dt>
        <dd>{a.esp ?? '—'}</dd>
        <dt>NAT traversal</dt>
        <dd>{a.natT ?? '—'}</dd>
        <dt>PPP authentication</dt>
        <dd>{a.pppAuth ?? '—'}</dd>
      </dl>
      <dl className="facts" data-testid="assigned">
        <dt>Local address</dt>
        <dd>{ad.localIp}</dd>
        <dt>Peer address</dt>
        <dd>{ad.peerIp}</dd>
        <dt>MTU</dt>
        <dd>{ad.mtu}</dd>
        <dt>DNS servers</dt>
        <dd>{[...new Set([...ad.dns, ...(connection?.dns ?? [])])].join(', ') || '—'}</dd>
        <dt>Routes</dt>
        <dd>{connection?.routes.join(', ') || '—'}</dd>
      </dl>
    </section>
  );
}

export function Diagnostics({ profileId }: { profileId: string }) {
  const connection = useFerry((s) => s.connections[profileId]);
  const log = useFerry((s) => s.log);
  const { loadDiagnostics, exportDiagnostics, notify } = useActions();
  const [exporting, setExporting] = useState(false);

  const connected = connection?.state.kind === 'connected';
  useEffect(() => {
    void loadDiagnostics(profileId);
    if (!connected) return;
    // Counters change without state events: refresh while the tab is open.
    const t = setInterval(() => void loadDiagnostics(profileId), 2000);
    return () => clearInterval(t);
  }, [profileId, connected, loadDiagnostics]);

  const onExport = async (): Promise<void> => {
    setExporting(true);
    const file = await exportDiagnostics(profileId);
    setExporting(false);
    if (!file) return;
    saveTextFile(
      file.fileName,
      file.text,
      file.fileName.endsWith('.json') ? 'application/json' : 'text/plain',
    );
    notify('success', 'Diagnostics exported', `${file.fileName} (secrets redacted)`);
  };

  return (
    <div className="diagnostics">
      <div className="toolbar">
        <p className="muted">Live view of the last connection attempt.</p>
        <button
          type="button"
          className="button secondary"
          disabled={exporting}
          onClick={() => void onExport()}
        >
          <Icon name="download" /> Export diagnostics
        </button>
      </div>
      <Timeline connection={connection} />
      <Counters counters={connection?.counters ?? null} />
      <Negotiated connection={connection} />
      <LogView entries={log} />
    </div>
  );
}
