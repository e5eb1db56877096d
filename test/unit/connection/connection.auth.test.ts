/**
 * MFA modes (SPEC §3: OTP appended to the password, push approval with an extended timeout) and the secrets
 * rule: the password and the OTP never appear in a log entry, an error's message or hint, or the state.
 */
import { describe, expect, it } from 'vitest';
import type { FerryError } from '../../../core/common/errors';
import { nextState, PASSWORD, USER, type World, type WorldOptions, world } from '../../support/fakeLns';

const OTP = '482913';

const otpAppend = (separator: string, extra: WorldOptions = {}): WorldOptions => ({
  methods: ['pap'],
  profile: { mfa: { mode: 'otp-append', separator } },
  serverProfile: { authOrder: ['pap'], password: `${PASSWORD}${separator}${OTP}` },
  otp: OTP,
  ...extra,
});

describe('MFA: one-time code appended to the password', () => {
  for (const separator of [',', '']) {
    it(`sends password${separator ? ` + '${separator}'` : ''} + OTP as the PAP password and connects`, async () => {
      const w = await world(otpAppend(separator));
      const out = await w.connect();
      expect(out.ok).toBe(true);
      expect(w.lns.papAttempts).toEqual([{ user: USER, password: `${PASSWORD}${separator}${OTP}` }]);
      w.lns.stop();
    });
  }

  it('fails with the typed mfa-rejected for a wrong code (the UI re-prompts on it)', async () => {
    const w = await world(otpAppend(',', { otp: '000000' }));
    const out = await w.connect();
    expect(!out.ok && out.error).toMatchObject({ phase: 'auth', code: 'mfa-rejected' });
    expect(w.lns.papAttempts[0]?.password).toBe(`${PASSWORD},000000`);
    w.lns.stop();
  });

  it('fails with otp-missing before anything is sent when no code was given', async () => {
    const { otp: _none, ...withoutOtp } = otpAppend(',');
    const w = await world(withoutOtp);
    const out = await w.connect();
    expect(!out.ok && out.error).toMatchObject({ phase: 'auth', code: 'otp-missing' });
    expect(w.conn.state).toMatchObject({ kind: 'failed', phase: 'auth', code: 'otp-missing' });
    expect(w.states.map((s) => s.kind)).toEqual(['failed']);
    expect(w.carrier.opened).toBe(0);
    expect(w.lns.datagramsIn).toBe(0);
    expect(w.conn.phases()).toEqual([]);
    expect(w.clientClock.pending).toBe(0);
  });
});

describe('MFA: push approval (the server holds the authentication)', () => {
  const push = (timeoutSeconds: number, holdMs: number, extra: WorldOptions = {}): WorldOptions => ({
    profile: { mfa: { mode: 'push', timeoutSeconds } },
    lns: { authDelayMs: holdMs },
    ...extra,
  });

  for (const method of ['mschapv2', 'pap'] as const) {
    it(`waits for a 45 s approval within a 60 s push timeout (${method})`, async () => {
      const w = await world(push(60, 45_000, { methods: [method], serverProfile: { authOrder: [method] } }));
      const out = await w.connect();
      if (!out.ok) throw out.error;
      const auth = w.conn.phases().find((p) => p.phase === 'auth')!;
      expect(auth.result).toBe('ok');
      expect(auth.durationMs!).toBeGreaterThanOrEqual(45_000);
      expect(auth.durationMs!).toBeLessThan(60_000);
      w.lns.stop();
    });
  }

  it('fails in auth with push-timeout when no verdict comes within the push timeout plus 10 s of grace', async () => {
    const w = await world(push(60, 90_000));
    const out = await w.connect();
    expect(!out.ok && out.error).toMatchObject({ phase: 'auth', code: 'push-timeout' });
    expect(!out.ok && out.error.hint).toMatch(/approve/);
    const auth = w.conn.phases().find((p) => p.phase === 'auth')!;
    expect(auth.durationMs).toBe(70_000);
    expect(w.clientClock.pending).toBe(0);
    w.lns.stop();
  });

  it('without push MFA the default 30 s authentication deadline applies', async () => {
    const w = await world({ lns: { authDelayMs: 45_000 } });
    const out = await w.connect();
    expect(!out.ok && out.error).toMatchObject({ phase: 'auth', code: 'timeout' });
    expect(w.conn.phases().find((p) => p.phase === 'auth')?.durationMs).toBe(30_000);
    w.lns.stop();
  });
});

describe('secrets never leak', () => {
  /** Every text the user or a log could see: log entries, errors' message and hint, states. */
  function exposedText(w: World, errors: FerryError[]): string {
    return JSON.stringify([
      w.ring.snapshot(),
      errors.map((e) => ({ message: e.message, hint: e.hint, describe: e.describe() })),
      w.states,
    ]);
  }

  const SCENARIOS: Array<{ name: string; o: WorldOptions; after?: (w: World) => void }> = [
    { name: 'successful MS-CHAPv2 connect and disconnect', o: {} },
    {
      name: 'wrong password (the server quotes it back in its MS-CHAPv2 failure text)',
      o: {
        password: 'Wr0ng-Passw0rd!',
        serverProfile: { failureMessage: 'bad password Wr0ng-Passw0rd! for alice' },
      },
    },
    { name: 'PAP with an appended OTP', o: otpAppend('/') },
    { name: 'PAP with a wrong appended OTP', o: otpAppend('/', { otp: '111111' }) },
    {
      name: 'the server hangs up quoting the password in its LCP Terminate-Request',
      o: {},
      after: (w) => w.lns.terminatePpp(`session of ${PASSWORD} ended`),
    },
    { name: 'SoftEther with the wrong password', o: { server: 'softether', password: 'Wr0ng-Passw0rd!' } },
  ];

  for (const s of SCENARIOS) {
    it(`in logs, errors and states: ${s.name}`, async () => {
      const w = await world(s.o);
      const errors: FerryError[] = [];
      const out = await w.connect();
      if (!out.ok) errors.push(out.error);
      if (out.ok && s.after) {
        const failed = nextState(w.conn, (x) => x.kind === 'failed');
        s.after(w);
        await w.clock.run(failed, 30_000);
      } else if (out.ok) await w.clock.run(w.conn.disconnect());
      const text = exposedText(w, errors);
      expect(w.ring.snapshot().length).toBeGreaterThan(10);
      for (const secret of [w.secrets.password, OTP]) expect(text).not.toContain(secret);
      w.lns.stop();
    });
  }

  it('a server text quoting the password reaches the log only redacted', async () => {
    const w = await world({});
    const out = await w.connect();
    if (!out.ok) throw out.error;
    const failed = nextState(w.conn, (x) => x.kind === 'failed');
    w.lns.sendCdn({ result: 2, error: 6, message: `rejected ${PASSWORD}` });
    await w.clock.run(failed, 30_000);
    expect(JSON.stringify(w.ring.snapshot())).not.toContain(PASSWORD);
    expect(JSON.stringify(w.ring.snapshot())).toContain('[redacted]');
    w.lns.stop();
  });

  for (const how of ['CDN', 'StopCCN'] as const) {
    it(`a ${how} Result Code message quoting the password does not reach state.failed.message`, async () => {
      const w = await world({});
      const out = await w.connect();
      if (!out.ok) throw out.error;
      const failed = nextState(w.conn, (x) => x.kind === 'failed');
      const result = { result: 2, error: 6, message: `rejected ${PASSWORD}` };
      if (how === 'CDN') w.lns.sendCdn(result);
      else w.lns.sendStopCcn(result);
      await w.clock.run(failed, 30_000);
      expect(JSON.stringify(w.states)).not.toContain(PASSWORD);
    });
  }
});
