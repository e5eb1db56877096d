import { describe, expect, it } from 'vitest';
import type { ConnectionView, MfaPrompt } from '../../../core/api/ipc';
import { CONNECT_PHASES } from '../../../core/common/errors';
import { flush } from '../../support/deterministic';
import { standardHost } from '../support/fixtures';
import { ScriptedFerry } from '../support/scriptedFerry';

/** The test double the UI tests rely on behaves like the host the spec describes. */
function host() {
  const ferry = new ScriptedFerry(standardHost({ pace: { mode: 'manual' } }));
  const connection: ConnectionView[] = [];
  const mfa: (MfaPrompt | null)[] = [];
  ferry.on('connection', (v) => connection.push(v));
  ferry.on('mfa', (p) => mfa.push(p));
  return { ferry, connection, mfa };
}

describe('scripted host', () => {
  it('emits one connecting state per phase in SPEC order, then connected with counters and routes', async () => {
    const { ferry, connection } = host();
    expect(await ferry.connect('office')).toEqual({ type: 'success', value: null });
    ferry.sim.step('office', CONNECT_PHASES.length);
    await flush();
    const phases = [
      ...new Set(connection.flatMap((v) => (v.state.kind === 'connecting' ? [v.state.phase] : []))),
    ];
    expect(phases).toEqual([...CONNECT_PHASES]);
    const last = connection.at(-1)!;
    expect(last.state.kind).toBe('connected');
    expect(last.phases.map((p) => p.result)).toEqual(CONNECT_PHASES.map(() => 'ok'));
    expect(last.routes).toEqual(['10.20.0.0/16', '192.168.50.0/24']);
    expect(last.counters?.ip.packetsIn).toBe(0);
    expect(await ferry.connect('office')).toMatchObject({ type: 'error', error: { code: 'busy' } });
    ferry.dispose();
  });

  it('asks for OTP in the auth phase, re-prompts with retry on a wrong code, and continues on the right one', async () => {
    const { ferry, mfa, connection } = host();
    await ferry.connect('lab-otp');
    ferry.sim.step('lab-otp', 6);
    await flush();
    const first = mfa.at(-1);
    expect(first).toMatchObject({
      kind: 'otp',
      profileId: 'lab-otp',
      retry: false,
      digits: { min: 6, max: 6 },
    });
    expect(await ferry.answerMfa('stale-id', '424242')).toMatchObject({ error: { code: 'unknown-prompt' } });
    await ferry.answerMfa(first!.id, '000000');
    await flush();
    const second = mfa.at(-1);
    expect(second).toMatchObject({ kind: 'otp', retry: true });
    expect(second!.id).not.toBe(first!.id);
    await ferry.answerMfa(second!.id, '424242');
    ferry.sim.step('lab-otp', 3);
    await flush();
    expect(mfa.at(-1)).toBeNull();
    expect(connection.at(-1)?.state.kind).toBe('connected');
    ferry.dispose();
  });

  it('fails a scripted phase with its code and hint, and refuses what the policy forbids', async () => {
    const { ferry, connection } = host();
    ferry.sim.script('office', {
      kind: 'fail',
      phase: 'quick-mode',
      code: 'no-proposal-chosen',
      message: 'm',
      hint: 'h',
    });
    await ferry.connect('office');
    ferry.sim.step('office', 2);
    await flush();
    expect(connection.at(-1)?.state).toEqual({
      kind: 'failed',
      phase: 'quick-mode',
      code: 'no-proposal-chosen',
      message: 'm',
      hint: 'h',
    });
    expect(connection.at(-1)?.phases.map((p) => p.result)).toEqual(['ok', 'failed']);

    ferry.setPolicy({ forbidPap: true });
    const office = ferry.profile('office')!;
    const r = await ferry.saveProfile({ ...office, userAuth: { username: 'a', methods: ['pap'] } });
    expect(r).toMatchObject({ error: { code: 'invalid-profile', fields: [{ path: 'userAuth.methods' }] } });
    expect(await ferry.saveProfile({ ...ferry.profile('corp')!, name: 'x' })).toMatchObject({
      error: { code: 'locked' },
    });
    ferry.dispose();
  });

  it('keeps secrets write-only: views say whether they exist, never what they are', async () => {
    const { ferry } = host();
    await ferry.setSecret('office', 'password', 'write-only-value');
    const snap = await ferry.snapshot();
    expect(JSON.stringify(snap)).not.toContain('write-only-value');
    if (snap.type === 'success')
      expect(snap.value.profiles[0]?.secrets).toEqual({ psk: true, password: true, clientKey: false });
    const exported = await ferry.exportProfileFile('office');
    expect(JSON.stringify(exported)).not.toContain('stored-psk-office');
    ferry.dispose();
  });
});
