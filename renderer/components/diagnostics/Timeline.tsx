/** The phase timeline of the last connect attempt: start, duration and result per phase; the failure's hint. */
import type { ConnectionView } from '../../../core/api/ipc';
import { CONNECT_PHASES, PHASE_LABELS } from '../../../core/common/errors';
import type { PhaseResult } from '../../../core/connection/timeline';
import { formatDuration, formatOffset } from '../../logic/format';

const RESULT_LABELS: Readonly<Record<PhaseResult | 'pending', string>> = {
  running: 'In progress',
  ok: 'OK',
  failed: 'Failed',
  skipped: 'Skipped',
  pending: 'Waiting',
};

export function Timeline({ connection }: { connection: ConnectionView | undefined }) {
  const phases = connection?.phases ?? [];
  const state = connection?.state;
  const upcoming =
    state?.kind === 'connecting' ? CONNECT_PHASES.filter((p) => !phases.some((e) => e.phase === p)) : [];
  return (
    <section className="card" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Connection timeline</h2>
      {phases.length === 0 ? (
        <p className="muted">No connection attempt yet.</p>
      ) : (
        <table className="timeline" data-testid="timeline">
          <thead>
            <tr>
              <th scope="col">Phase</th>
              <th scope="col">Start</th>
              <th scope="col">Duration</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {phases.map((e) => {
              const failedHere = e.result === 'failed' && state?.kind === 'failed' && state.phase === e.phase;
              return [
                <tr key={`${e.phase}@${e.startMs}`} className={`phase ${e.result}`} data-phase={e.phase}>
                  <th scope="row">
                    <span className="phase-marker" aria-hidden="true" />
                    {PHASE_LABELS[e.phase]}
                  </th>
                  <td>{formatOffset(e.startMs)}</td>
                  <td>{e.result === 'running' ? '…' : formatDuration(e.durationMs)}</td>
                  <td className="phase-result">
                    {RESULT_LABELS[e.result]}
                    {e.detail && !failedHere ? <span className="phase-detail"> ({e.detail})</span> : null}
                  </td>
                </tr>,
                failedHere ? (
                  <tr key={`${e.phase}@${e.startMs}-hint`} className="phase-hint-row">
                    <td colSpan={4}>
                      <p className="phase-hint" data-testid="phase-hint">
                        <strong>{state.hint}</strong>
                        <span>
                          {' '}
                          {state.message} <code>{state.code}</code>
                        </span>
                      </p>
                    </td>
                  </tr>
                ) : null,
              ];
            })}
            {upcoming.map((p) => (
              <tr key={p} className="phase pending" data-phase={p}>
                <th scope="row">
                  <span className="phase-marker" aria-hidden="true" />
                  {PHASE_LABELS[p]}
                </th>
                <td>—</td>
                <td>—</td>
                <td className="phase-result">{RESULT_LABELS.pending}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
