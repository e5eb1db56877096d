import { describe, expect, it } from 'vitest';
import type { ConnectionView } from '../../../core/api/ipc';
import type { ConnectionState } from '../../../core/connection/state';
import { overallTone, summarize } from '../../../renderer/logic/status';

const view = (state: ConnectionState, reconnect: ConnectionView['reconnect'] = null): ConnectionView => ({
  profileId: 'p',
  state,
  phases: [],
  counters: null,
  routes: [],
  dns: [],
  reconnect,
});

const connected: ConnectionState = {
  kind: 'connected',
  since: 0,
  addresses: { localIp: '10.8.0.5', peerIp: '10.8.0.1', dns: [], mtu: 1400 },
  algorithms: {},
};
const failed: ConnectionState = {
  kind: 'failed',
  phase: 'auth',
  code: 'auth-failed',
  message: 'the server rejected the password',
  hint: 'check your user name and password',
};

describe('connection summary', () => {
  it('words every state for the list and the toggle', () => {
    expect(summarize(undefined)).toEqual({ tone: 'idle', label: 'Disconnected', on: false, locked: false });
    expect(summarize(view({ kind: 'connecting', phase: 'l2tp-session' }))).toEqual({
      tone: 'busy',
      label: 'Connecting — L2TP session',
      detail: 'Step 4 of 9',
      on: true,
      locked: false,
    });
    expect(summarize(view(connected))).toEqual({
      tone: 'ok',
      label: 'Connected',
      detail: 'IP 10.8.0.5',
      on: true,
      locked: false,
    });
    expect(summarize(view({ kind: 'disconnecting' }))).toMatchObject({
      label: 'Disconnecting…',
      on: false,
      locked: true,
    });
    expect(summarize(view({ kind: 'disconnected', reason: 'user' }))).toMatchObject({
      tone: 'idle',
      label: 'Disconnected',
    });
    expect(summarize(view({ kind: 'disconnected', reason: 'peer' }))).toMatchObject({
      tone: 'error',
      label: 'Disconnected by the server',
    });
    expect(summarize(view(failed))).toEqual({
      tone: 'error',
      label: 'Failed — PPP authentication',
      detail: 'check your user name and password',
      on: false,
      locked: false,
    });
  });

  it('says what a connect waits for while an MFA prompt is open, with the connecting affordances', () => {
    const waiting = (w: ConnectionView['waitingFor'], phase: 'ike-phase1' | 'auth' = 'ike-phase1') => ({
      ...view({ kind: 'connecting', phase }),
      ...(w ? { waitingFor: w } : {}),
    });
    expect(summarize(waiting({ kind: 'otp', retry: false }))).toEqual({
      tone: 'busy',
      label: 'Waiting for your one-time code',
      on: true,
      locked: false,
    });
    expect(summarize(waiting({ kind: 'otp', retry: true }))).toEqual({
      tone: 'busy',
      label: 'Waiting for your one-time code',
      detail: 'The last code was not accepted',
      on: true,
      locked: false,
    });
    expect(summarize(waiting({ kind: 'push', retry: false }, 'auth'))).toEqual({
      tone: 'busy',
      label: 'Approve on your device',
      detail: 'Step 6 of 9',
      on: true,
      locked: false,
    });
    // Without a prompt the phase is shown as before; a wait never outlives the connecting state.
    expect(summarize(waiting(undefined)).label).toBe('Connecting — IKE phase 1');
    expect(summarize({ ...view(failed), waitingFor: { kind: 'otp', retry: true } }).label).toBe(
      'Failed — PPP authentication',
    );
  });

  it('shows a request in flight until the host confirms it', () => {
    expect(summarize(undefined, 'connect')).toEqual({
      tone: 'busy',
      label: 'Connecting…',
      on: true,
      locked: true,
    });
    expect(summarize(view(connected), 'connect').label).toBe('Connected');
    expect(summarize(view(connected), 'disconnect')).toMatchObject({ label: 'Disconnecting…', locked: true });
    expect(summarize(view({ kind: 'idle' }), 'disconnect').label).toBe('Disconnected');
  });

  it('counts a pending reconnect down from when the view arrived', () => {
    const v = view(failed, { attempt: 3, inMs: 20_000 });
    expect(summarize(v, undefined, 0)).toEqual({
      tone: 'busy',
      label: 'Reconnecting in 0:20',
      detail: 'Attempt 3 · check your user name and password',
      on: true,
      locked: false,
    });
    expect(summarize(v, undefined, 15_500).label).toBe('Reconnecting in 0:05');
    expect(summarize(v, undefined, 60_000).label).toBe('Reconnecting in 0:00');
    expect(summarize(view({ kind: 'disconnected', reason: 'peer' }, { attempt: 1, inMs: 5000 })).detail).toBe(
      'Attempt 1',
    );
  });

  it('ranks the app-level tone: error, then busy, then connected, then idle', () => {
    const s = (st: ConnectionState) => summarize(view(st));
    expect(overallTone([])).toBe('idle');
    expect(overallTone([s({ kind: 'idle' }), s(connected)])).toBe('ok');
    expect(overallTone([s(connected), s({ kind: 'connecting', phase: 'lcp' })])).toBe('busy');
    expect(overallTone([s(failed), s(connected), s({ kind: 'connecting', phase: 'lcp' })])).toBe('error');
  });
});
