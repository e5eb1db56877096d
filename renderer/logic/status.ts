/** How a profile's connection reads in the list, the header and the tray (one place for the wording). */
import type { ConnectionView } from '../../core/api/ipc';
import { CONNECT_PHASES, PHASE_LABELS } from '../../core/common/errors';
import { formatCountdown } from './format';

export type StatusTone = 'idle' | 'busy' | 'ok' | 'error';

export interface StatusSummary {
  readonly tone: StatusTone;
  /** Short headline: "Connected", "Connecting — IKE phase 1". */
  readonly label: string;
  /** Second line: the IP, the step, or the failure's hint. */
  readonly detail?: string;
  /** The toggle shows "on" (connecting or connected): clicking it disconnects. */
  readonly on: boolean;
  /** The toggle cannot be used right now. */
  readonly locked: boolean;
}

export function phaseStep(phase: (typeof CONNECT_PHASES)[number]): string {
  return `Step ${CONNECT_PHASES.indexOf(phase) + 1} of ${CONNECT_PHASES.length}`;
}

/**
 * Summarises a connection. `pending` is a request the UI sent that no event confirmed yet; `nowMs - sinceMs`
 * counts down a pending reconnect.
 */
export function summarize(
  view: ConnectionView | undefined,
  pending?: 'connect' | 'disconnect',
  elapsedMs = 0,
): StatusSummary {
  const state = view?.state ?? { kind: 'idle' as const };
  if (pending === 'connect' && state.kind !== 'connecting' && state.kind !== 'connected')
    return { tone: 'busy', label: 'Connecting…', on: true, locked: true };
  if (pending === 'disconnect' && state.kind !== 'disconnected' && state.kind !== 'idle')
    return { tone: 'busy', label: 'Disconnecting…', on: false, locked: true };
  const reconnect = view?.reconnect;
  if (reconnect && (state.kind === 'failed' || state.kind === 'disconnected' || state.kind === 'idle')) {
    const secs = Math.max(0, (reconnect.inMs - elapsedMs) / 1000);
    const why = state.kind === 'failed' ? state.hint : undefined;
    return {
      tone: 'busy',
      label: `Reconnecting in ${formatCountdown(secs)}`,
      detail: `Attempt ${reconnect.attempt}${why ? ` · ${why}` : ''}`,
      on: true,
      locked: false,
    };
  }
  switch (state.kind) {
    case 'idle':
      return { tone: 'idle', label: 'Disconnected', on: false, locked: false };
    case 'connecting': {
      const waiting = view?.waitingFor;
      // An MFA prompt is open: the connect waits for the user, not for a protocol step.
      if (waiting?.kind === 'otp')
        return {
          tone: 'busy',
          label: 'Waiting for your one-time code',
          ...(waiting.retry ? { detail: 'The last code was not accepted' } : {}),
          on: true,
          locked: false,
        };
      if (waiting?.kind === 'push')
        return {
          tone: 'busy',
          label: 'Approve on your device',
          detail: phaseStep(state.phase),
          on: true,
          locked: false,
        };
      return {
        tone: 'busy',
        label: `Connecting — ${PHASE_LABELS[state.phase]}`,
        detail: phaseStep(state.phase),
        on: true,
        locked: false,
      };
    }
    case 'connected':
      return {
        tone: 'ok',
        label: 'Connected',
        detail: `IP ${state.addresses.localIp}`,
        on: true,
        locked: false,
      };
    case 'disconnecting':
      return { tone: 'busy', label: 'Disconnecting…', on: false, locked: true };
    case 'disconnected':
      return state.reason === 'peer'
        ? { tone: 'error', label: 'Disconnected by the server', on: false, locked: false }
        : { tone: 'idle', label: 'Disconnected', on: false, locked: false };
    case 'failed':
      return {
        tone: 'error',
        label: `Failed — ${PHASE_LABELS[state.phase]}`,
        detail: state.hint,
        on: false,
        locked: false,
      };
  }
}

/** The app-level state across all profiles: error beats connecting beats connected beats idle. */
export function overallTone(summaries: readonly StatusSummary[]): StatusTone {
  const order: StatusTone[] = ['ok', 'busy', 'error'];
  let best: StatusTone = 'idle';
  for (const s of summaries) if (order.indexOf(s.tone) > order.indexOf(best)) best = s.tone;
  return best;
}
