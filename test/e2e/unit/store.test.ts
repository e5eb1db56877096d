import { describe, expect, it } from 'vitest';
import type { FerryApi, IpcResult, Snapshot } from '../../../core/api/ipc';
import type { LogEntry } from '../../../core/common/log';
import { appendLog, LOG_CAPACITY, mergeLogHistory } from '../../../renderer/store/state';
import { createFerryStore, type FerryStore } from '../../../renderer/store/store';
import { flush } from '../../support/deterministic';
import { standardHost } from '../support/fixtures';
import { ScriptedFerry } from '../support/scriptedFerry';

function setup(host = standardHost({ pace: { mode: 'manual' } })) {
  const ferry = new ScriptedFerry(host);
  let now = 1_000_000;
  const timers: (() => void)[] = [];
  const store = createFerryStore(ferry, { now: () => now, setTimer: (fn) => timers.push(fn) });
  return { ferry, store, timers, advance: (ms: number) => (now += ms) };
}

/** Every state the store takes, serialised. */
function record(store: FerryStore): string[] {
  const states = [JSON.stringify(store.getState())];
  store.subscribe((s) => states.push(JSON.stringify(s)));
  return states;
}

const entry = (ts: number, msg: string): LogEntry => ({ ts, level: 'info', scope: 't', msg, fields: {} });

describe('store', () => {
  it('takes the snapshot, selects the first profile, then follows connection events', async () => {
    const { ferry, store } = setup();
    await store.getState().start();
    const s = store.getState();
    expect(s.status).toBe('ready');
    expect(s.profiles.map((p) => p.profile.id)).toEqual(['office', 'lab-otp', 'hq-push', 'corp']);
    expect(s.selectedId).toBe('office');
    expect(s.profiles.find((p) => p.profile.id === 'corp')).toMatchObject({ managed: true, locked: true });

    const states = record(store);
    await store.getState().toggle('office');
    // Pending from the click until the host's first connection event.
    expect(states.some((x) => JSON.parse(x).pending.office === 'connect')).toBe(true);
    expect(store.getState().pending).toEqual({});
    expect(store.getState().connections.office?.state).toEqual({ kind: 'connecting', phase: 'ike-phase1' });
    ferry.sim.step('office', 9);
    await flush();
    expect(store.getState().connections.office?.state.kind).toBe('connected');
    // Toggling a connected profile disconnects it.
    await store.getState().toggle('office');
    await new Promise((r) => setTimeout(r, 60));
    expect(store.getState().connections.office?.state).toEqual({ kind: 'disconnected', reason: 'user' });
    ferry.dispose();
  });

  it('applies events that race the snapshot after it instead of losing them', async () => {
    const ferry = new ScriptedFerry(standardHost({ pace: { mode: 'manual' } }));
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow: FerryApi = new Proxy(ferry, {
      get(t, p, r) {
        if (p === 'snapshot')
          return async (): Promise<IpcResult<Snapshot>> => {
            const snap = await t.snapshot();
            await gate;
            return snap;
          };
        const v = Reflect.get(t, p, r);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    }) as FerryApi;
    const store = createFerryStore(slow);
    const started = store.getState().start();
    await flush();
    // The snapshot was taken (idle); these events happen after it, before it reaches the store.
    await ferry.connect('office');
    ferry.log('office', 'warn', 'ferry.ike', 'late line');
    release();
    await started;
    const s = store.getState();
    expect(s.connections.office?.state).toEqual({ kind: 'connecting', phase: 'ike-phase1' });
    expect(s.log.map((e) => e.msg)).toContain('late line');
    ferry.dispose();
  });

  it('never holds a secret: not from saves, secrets, OTP answers or certificate passwords', async () => {
    const { ferry, store } = setup();
    const states = record(store);
    await store.getState().start();
    const office = ferry.profile('office')!;
    await store.getState().saveProfile(office, { psk: 'unit-psk-1', password: 'unit-pw-2' });
    await store.getState().setSecret('office', 'psk', 'unit-psk-3');
    await store
      .getState()
      .importCertificate('office', { format: 'pkcs12', dataBase64: 'AAAA', password: 'unit-p12-4' });
    await store.getState().connect('lab-otp');
    ferry.sim.step('lab-otp', 6);
    await flush();
    const prompt = store.getState().mfa?.prompt;
    expect(prompt?.kind).toBe('otp');
    await store.getState().answerMfa(prompt!.id, '424242');
    await flush();
    expect(ferry.sim.mfa.otpCodes).toEqual(['424242']);
    expect(ferry.secretsReceived.map((s) => s.value)).toEqual([
      'unit-psk-1',
      'unit-pw-2',
      'unit-psk-3',
      'unit-p12-4',
    ]);
    for (const secret of ['unit-psk-1', 'unit-pw-2', 'unit-psk-3', 'unit-p12-4', '424242'])
      expect(states.filter((s) => s.includes(secret))).toEqual([]);
    ferry.dispose();
  });

  it('turns a refused connect into an error notice and clears the pending request', async () => {
    const { store } = setup(standardHost({ secrets: {} }));
    await store.getState().start();
    await store.getState().toggle('office');
    const s = store.getState();
    expect(s.pending).toEqual({});
    expect(s.notices).toEqual([
      {
        id: 1,
        tone: 'error',
        title: 'Could not connect',
        detail:
          'No pre-shared key is stored for this profile. — Edit the profile and enter the pre-shared key.',
      },
    ]);
  });

  it('dismisses success notices on a timer, keeps errors, and keeps at most four', async () => {
    const { store, timers } = setup();
    const { notify } = store.getState();
    notify('success', 'a');
    notify('error', 'b');
    expect(timers).toHaveLength(1);
    timers[0]!();
    expect(store.getState().notices.map((n) => n.title)).toEqual(['b']);
    for (const t of ['c', 'd', 'e', 'f']) notify('error', t);
    expect(store.getState().notices.map((n) => n.title)).toEqual(['c', 'd', 'e', 'f']);
  });

  it('keeps the selection on an existing profile when profiles change', async () => {
    const { ferry, store } = setup();
    await store.getState().start();
    store.getState().select('hq-push');
    store.getState().show('diagnostics');
    await ferry.deleteProfile('office');
    expect(store.getState().selectedId).toBe('hq-push');
    await store.getState().deleteProfile('hq-push');
    expect(store.getState().selectedId).toBe('lab-otp');
    expect(store.getState().view).toBe('status');
  });

  it('stamps MFA prompts with the time they arrived; dismiss only closes the same prompt', async () => {
    const { ferry, store, advance } = setup();
    await store.getState().start();
    await store.getState().connect('hq-push');
    ferry.sim.step('hq-push', 6);
    advance(2500);
    await flush();
    const mfa = store.getState().mfa;
    expect(mfa).toMatchObject({ receivedAt: 1_002_500, prompt: { kind: 'push', expiresInSeconds: 45 } });
    store.getState().dismissMfa('some-other-id');
    expect(store.getState().mfa).not.toBeNull();
    store.getState().dismissMfa(mfa!.prompt.id);
    expect(store.getState().mfa).toBeNull();
    ferry.dispose();
  });

  it('switching off a profile that waits to reconnect cancels the reconnect', async () => {
    const { ferry, store } = setup();
    await store.getState().start();
    await store.getState().connect('office');
    ferry.sim.step('office', 9);
    await flush();
    expect(store.getState().connections.office?.state.kind).toBe('connected');
    ferry.sim.dropPeer('office', 10_000);
    expect(store.getState().connections.office?.reconnect).toEqual({ attempt: 1, inMs: 10_000 });
    await store.getState().toggle('office');
    expect(store.getState().connections.office?.reconnect).toBeNull();
    expect(store.getState().connections.office?.state).toEqual({ kind: 'disconnected', reason: 'peer' });
    ferry.dispose();
  });

  it('applies settings at once and reverts them when the host refuses', async () => {
    const ferry = new ScriptedFerry(standardHost());
    const refusing = new Proxy(ferry, {
      get(t, p, r) {
        if (p === 'setSettings')
          return async () => ({ type: 'error', error: { code: 'denied', message: 'no login items here' } });
        const v = Reflect.get(t, p, r);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    }) as FerryApi;
    const store = createFerryStore(refusing);
    await store.getState().start();
    const states = record(store);
    await store.getState().setSettings({ launchAtLogin: true });
    expect(states.some((s) => JSON.parse(s).settings.launchAtLogin === true)).toBe(true);
    expect(store.getState().settings.launchAtLogin).toBe(false);
    expect(store.getState().notices[0]?.detail).toBe('no login items here');
  });

  it('merges a diagnostics history with live lines without duplicates, and caps the log', async () => {
    const history = [entry(1, 'a'), entry(2, 'b'), entry(3, 'c')];
    const live = [entry(2, 'b'), entry(3, 'c'), entry(4, 'd')];
    expect(mergeLogHistory(live, history).map((e) => e.msg)).toEqual(['a', 'b', 'c', 'd']);
    expect(mergeLogHistory([], []).length).toBe(0);
    const many = Array.from({ length: LOG_CAPACITY + 5 }, (_, i) => entry(i, String(i)));
    const capped = appendLog([], many);
    expect(capped).toHaveLength(LOG_CAPACITY);
    expect(capped[0]?.msg).toBe('5');

    const { ferry, store } = setup();
    await store.getState().start();
    ferry.log('office', 'info', 'x', 'before-load');
    await store.getState().loadDiagnostics('office');
    ferry.log('office', 'info', 'x', 'after-load');
    await store.getState().loadDiagnostics('office');
    expect(store.getState().log.map((e) => e.msg)).toEqual(['before-load', 'after-load']);
  });

  it('reports an unreachable host and retries', async () => {
    const ferry = new ScriptedFerry(standardHost());
    let up = false;
    const flaky = new Proxy(ferry, {
      get(t, p, r) {
        if (p === 'snapshot' && !up)
          return async () => ({ type: 'error', error: { code: 'ipc-unavailable', message: 'no answer' } });
        const v = Reflect.get(t, p, r);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    }) as FerryApi;
    const store = createFerryStore(flaky);
    await store.getState().start();
    expect(store.getState()).toMatchObject({ status: 'unavailable', loadError: { code: 'ipc-unavailable' } });
    up = true;
    await store.getState().retry();
    expect(store.getState().status).toBe('ready');
  });
});
