/**
 * MFA through the manager (SPEC §3, §4) on fakes and a fake clock: an OTP appended to the password (from a
 * provider, or from the UI's answerMfa), prompts with absolute deadlines, a rejected code re-prompted with the
 * typed error and tried in a clean full reconnect (up to three codes), push approval shown while PPP
 * authentication waits (a 100 s wait tolerated), cancelled, timed out or refused — and the OTP kept out of every
 * log line and the diagnostics bundle, and not kept by anything once the attempt is over.
 */
import { describe, expect, it } from 'vitest';
import type { MfaPrompt } from '../../../core/api/ipc';
import { isFerryError } from '../../../core/common/errors';
import { formatLogEntry } from '../../../core/common/log';
import { managerWorld, PASSWORD } from './support';

const OTP = '482916';
const WRONG = '111111';
/** The wall clock the prompts' deadlines use (injected: tests compare exact values). */
const WALL = 1_800_000_000_000;
const otpProfile = { mfa: { mode: 'otp-append', separator: ',' }, routing: { mode: 'split', subnets: [] } };

async function otpWorld(extra: Parameters<typeof managerWorld>[0] = {}) {
  return managerWorld({
    methods: ['pap'],
    profile: otpProfile,
    server: { authOrder: ['pap'], password: `${PASSWORD},${OTP}` },
    ...extra,
    manager: { now: () => WALL, ...extra.manager },
  });
}

const otpPrompts = (events: (MfaPrompt | null)[]) =>
  events.filter((p): p is Extract<MfaPrompt, { kind: 'otp' }> => p?.kind === 'otp');

describe('ConnectionManager MFA: one-time code appended to the password', () => {
  it('the code from the provider travels appended to the password; it is never logged, never kept', async () => {
    const asked: MfaPrompt[] = [];
    const w = await otpWorld({
      manager: {
        otp: async (p) => {
          asked.push(p);
          return OTP;
        },
      },
    });
    await w.run(w.manager.connect(w.profile));
    expect(asked).toEqual([
      {
        id: expect.stringMatching(/^otp-/),
        profileId: 'fake-lns',
        kind: 'otp',
        expiresInSeconds: 120,
        deadline: WALL + 120_000,
        retry: false,
        digits: { min: 6, max: 8 },
      },
    ]);
    expect(w.servers[0]!.papAttempts).toEqual([{ user: 'alice', password: `${PASSWORD},${OTP}` }]);
    const bundle = (await w.manager.bundle(w.profile.id))!;
    const logs = w.logs.map(formatLogEntry).join('\n');
    for (const text of [bundle, logs]) {
      expect(text).not.toMatch(new RegExp(`(?<!\\d)${OTP}(?!\\d)`));
      expect(text).not.toContain(PASSWORD);
    }
    // Not registered with the long-lived redactor (that would keep it for the life of the process).
    expect(w.manager.redactor.scrub(`code ${OTP}`)).toBe(`code ${OTP}`);
    expect(w.manager.redactor.scrub(PASSWORD)).toBe('[redacted]');
    await w.run(w.manager.disconnect(w.profile.id));
  });

  it('a code given to connect() is used without asking', async () => {
    let asked = 0;
    const w = await otpWorld({
      manager: {
        otp: async () => {
          asked++;
          return null;
        },
      },
    });
    await w.run(w.manager.connect(w.profile, { otp: OTP }));
    expect(asked).toBe(0);
    expect(w.servers[0]!.papAttempts.map((a) => a.password)).toEqual([`${PASSWORD},${OTP}`]);
    await w.run(w.manager.disconnect(w.profile.id));
  });

  it('without a provider the prompt is an mfa event (with its deadline), answered by answerMfa (the UI)', async () => {
    const w = await otpWorld();
    const events: (MfaPrompt | null)[] = [];
    w.manager.events.on('mfa', (p) => {
      events.push(p);
      if (p?.kind === 'otp') queueMicrotask(() => expect(w.manager.answerMfa(p.id, OTP)).toBe(true));
    });
    await w.run(w.manager.connect(w.profile));
    expect(events.map((e) => e?.kind ?? null)).toEqual(['otp', null]);
    expect(otpPrompts(events)[0]).toMatchObject({ deadline: WALL + 120_000, retry: false });
    expect(w.manager.mfaPrompt).toBeNull();
    expect(w.manager.answerMfa('otp-nope', OTP)).toBe(false);
    await w.run(w.manager.disconnect(w.profile.id));
  });

  it('no code (cancelled, or the prompt expired) fails with otp-missing before the server is contacted', async () => {
    const w = await otpWorld({ manager: { otpTimeoutSeconds: 30 } });
    w.manager.events.on('mfa', () => {});
    const p = w.manager.connect(w.profile).catch((e: unknown) => e);
    await w.clock.advance(31_000);
    const e = await p;
    expect(isFerryError(e) && e.toJSON()).toMatchObject({ phase: 'auth', code: 'otp-missing' });
    expect(w.carriers).toHaveLength(0);
    expect(w.helper.calls).toEqual([]);
  });

  it('a disconnect while the code is being asked for cancels the prompt and the connect', async () => {
    const w = await otpWorld();
    const events: (MfaPrompt | null)[] = [];
    w.manager.events.on('mfa', (p) => events.push(p));
    const p = w.manager.connect(w.profile).catch((e: unknown) => e);
    await w.clock.advance(1000);
    expect(w.manager.mfaPrompt?.kind).toBe('otp');
    expect(w.manager.isActive(w.profile.id)).toBe(true);
    expect(w.manager.view(w.profile.id)?.waitingFor).toEqual({ kind: 'otp', retry: false });
    await w.manager.disconnect(w.profile.id);
    expect(w.manager.view(w.profile.id)?.waitingFor).toBeUndefined();
    const e = await p;
    expect(isFerryError(e) && e.code).toBe('cancelled');
    expect(events.map((x) => x?.kind ?? null)).toEqual(['otp', null]);
    expect(w.manager.view(w.profile.id)?.state).toEqual({ kind: 'disconnected', reason: 'user' });
    expect(w.carriers).toHaveLength(0);
  });

  for (const [how, server] of [
    ['Authenticate-Nak', {}],
    ['a hang-up (SoftEther)', { papHangUp: true }],
  ] as const) {
    it(`a rejected code (${how}) is asked for again with the typed error, then a clean reconnect connects`, async () => {
      const w = await otpWorld({ server: { authOrder: ['pap'], password: `${PASSWORD},${OTP}`, ...server } });
      const events: (MfaPrompt | null)[] = [];
      const viewsAtPrompt: unknown[] = [];
      const kinds: string[] = [];
      const answers = [WRONG, OTP];
      w.manager.events.on('connection', (v) => kinds.push(v.state.kind));
      w.manager.events.on('mfa', (p) => {
        events.push(p);
        if (p?.kind !== 'otp') return;
        const v = w.manager.view(w.profile.id)!;
        viewsAtPrompt.push({
          state: v.state,
          waitingFor: v.waitingFor,
          active: w.manager.isActive(v.profileId),
        });
        queueMicrotask(() => w.manager.answerMfa(p.id, answers.shift() ?? null));
      });
      await w.run(w.manager.connect(w.profile));
      const prompts = otpPrompts(events);
      expect(prompts.map((p) => p.retry)).toEqual([false, true]);
      expect(prompts[1]!.rejected).toEqual({
        code: 'mfa-rejected',
        message: expect.stringMatching(/rejected the password with the one-time code/),
        hint: expect.stringMatching(/next code/),
      });
      // Both prompts belong to one running connect: it waits for the user's code, before IKE begins.
      const waiting = (retry: boolean) => ({
        state: { kind: 'connecting', phase: 'ike-phase1' },
        waitingFor: { kind: 'otp', retry },
        active: true,
      });
      expect(viewsAtPrompt).toEqual([waiting(false), waiting(true)]);
      // The rejected code never showed the connect as failed: only the final outcome settles it.
      expect(kinds).not.toContain('failed');
      expect(w.manager.view(w.profile.id)?.waitingFor).toBeUndefined();
      expect(w.manager.view(w.profile.id)?.state.kind).toBe('connected');
      // A clean full reconnect: a new carrier (IKE), a new server session for the second code.
      expect(w.carriers).toHaveLength(2);
      expect(w.servers.map((s) => s.papAttempts.map((a) => a.password))).toEqual([
        [`${PASSWORD},${WRONG}`],
        [`${PASSWORD},${OTP}`],
      ]);
      const logs = w.logs.map(formatLogEntry).join('\n');
      for (const c of [OTP, WRONG]) expect(logs).not.toMatch(new RegExp(`(?<!\\d)${c}(?!\\d)`));
      await w.run(w.manager.disconnect(w.profile.id));
    });
  }

  it('three rejected codes end the connect with mfa-rejected; the next connect starts with the reason', async () => {
    const prompts: Extract<MfaPrompt, { kind: 'otp' }>[] = [];
    const w = await otpWorld({
      manager: {
        otp: async (p) => {
          prompts.push(p);
          return prompts.length <= 3 ? WRONG : OTP;
        },
      },
    });
    const e = await w.run(w.manager.connect(w.profile).catch((x: unknown) => x));
    expect(isFerryError(e) && e.toJSON()).toMatchObject({ phase: 'auth', code: 'mfa-rejected' });
    expect(prompts.map((p) => p.retry)).toEqual([false, true, true]);
    expect(w.carriers).toHaveLength(3);
    expect(w.manager.view(w.profile.id)?.state).toMatchObject({ kind: 'failed', code: 'mfa-rejected' });
    expect(w.manager.isActive(w.profile.id)).toBe(false);

    await w.run(w.manager.connect(w.profile));
    expect(prompts[3]).toMatchObject({ retry: true, rejected: { code: 'mfa-rejected' } });
    await w.run(w.manager.disconnect(w.profile.id));
    // Accepted: the next connect's prompt is a plain one again.
    await w.run(w.manager.connect(w.profile));
    expect(prompts[4]).toMatchObject({ retry: false });
    expect(prompts[4]).not.toHaveProperty('rejected');
    await w.run(w.manager.disconnect(w.profile.id));
  });

  it('a re-prompt that is cancelled ends with the rejection (not otp-missing), without asking again', async () => {
    const answers: (string | null)[] = [WRONG, null, OTP];
    const w = await otpWorld({ manager: { otp: async () => answers.shift() ?? null } });
    const e = await w.run(w.manager.connect(w.profile).catch((x: unknown) => x));
    expect(isFerryError(e) && e.code).toBe('mfa-rejected');
    expect(answers).toEqual([OTP]);
    expect(w.carriers).toHaveLength(1);
    expect(w.manager.view(w.profile.id)).toMatchObject({ state: { kind: 'failed', code: 'mfa-rejected' } });
    expect(w.manager.view(w.profile.id)?.waitingFor).toBeUndefined();
    expect(w.manager.isActive(w.profile.id)).toBe(false);
  });

  it('otp-prompt (a second prompt) is refused as unsupported, not silently mishandled', async () => {
    const w = await managerWorld({ profile: { mfa: { mode: 'otp-prompt' } } });
    const e = await w.run(w.manager.connect(w.profile).catch((x: unknown) => x));
    expect(isFerryError(e) && e.toJSON()).toMatchObject({ phase: 'profile', code: 'mfa-unsupported' });
  });
});

describe('ConnectionManager MFA: push approval', () => {
  const pushWorld = (timeoutSeconds: number, authDelayMs: number, server = {}) =>
    managerWorld({
      profile: { mfa: { mode: 'push', timeoutSeconds } },
      lns: { authDelayMs },
      server,
      manager: { now: () => WALL },
    });

  it('"waiting for approval" with the deadline is shown while authentication waits 100 s, then cleared', async () => {
    const w = await pushWorld(120, 100_000);
    const events: (MfaPrompt | null)[] = [];
    w.manager.events.on('mfa', (p) => events.push(p));
    const up = w.manager.connect(w.profile);
    await w.clock.advance(5_000);
    expect(w.manager.mfaPrompt).toEqual({
      id: 'push-fake-lns',
      profileId: 'fake-lns',
      kind: 'push',
      expiresInSeconds: 120,
      deadline: WALL + 120_000,
    });
    expect(w.manager.view(w.profile.id)?.state).toEqual({ kind: 'connecting', phase: 'auth' });
    expect(w.manager.view(w.profile.id)?.waitingFor).toEqual({ kind: 'push', retry: false });
    await w.clock.advance(90_000);
    expect(w.manager.view(w.profile.id)?.state).toEqual({ kind: 'connecting', phase: 'auth' });
    expect(w.manager.view(w.profile.id)?.waitingFor).toEqual({ kind: 'push', retry: false });
    await w.run(up);
    expect(w.manager.view(w.profile.id)?.waitingFor).toBeUndefined();
    expect(events).toEqual([expect.objectContaining({ kind: 'push' }), null]);
    const auth = w.manager.view(w.profile.id)!.phases.find((p) => p.phase === 'auth')!;
    expect(auth.durationMs).toBeGreaterThanOrEqual(100_000);
    expect(w.manager.view(w.profile.id)?.state.kind).toBe('connected');
    await w.run(w.manager.disconnect(w.profile.id));
  });

  it('cancel (answerMfa(push, null)) stops waiting and ends the connect; a code for a push is refused', async () => {
    const w = await pushWorld(60, 1_000_000);
    const up = w.manager.connect(w.profile).catch((e: unknown) => e);
    await w.clock.advance(3_000);
    const prompt = w.manager.mfaPrompt!;
    expect(prompt.kind).toBe('push');
    expect(w.manager.answerMfa(prompt.id, OTP)).toBe(false);
    expect(w.manager.answerMfa(prompt.id, null)).toBe(true);
    const e = await w.run(up);
    expect(isFerryError(e) && e.code).toBe('cancelled');
    expect(w.manager.mfaPrompt).toBeNull();
    expect(w.manager.view(w.profile.id)?.state).toEqual({ kind: 'disconnected', reason: 'user' });
    expect(w.manager.view(w.profile.id)?.waitingFor).toBeUndefined();
  });

  it('no verdict: push-timeout after the window plus 10 s; not retried', async () => {
    const w = await managerWorld({
      profile: { mfa: { mode: 'push', timeoutSeconds: 60 }, autoReconnect: true },
      lns: { authDelayMs: 10_000_000 },
      manager: { now: () => WALL },
    });
    const e = await w.run(w.manager.connect(w.profile).catch((x: unknown) => x));
    expect(isFerryError(e) && e.toJSON()).toMatchObject({ phase: 'auth', code: 'push-timeout' });
    const auth = w.manager.view(w.profile.id)!.phases.find((p) => p.phase === 'auth')!;
    expect(auth.durationMs).toBe(70_000);
    expect(w.manager.mfaPrompt).toBeNull();
    expect(w.manager.view(w.profile.id)?.reconnect).toBeNull();
  });

  it('the server says no (denied, or its own window passed): push-rejected with the wait', async () => {
    const w = await pushWorld(60, 12_000, { password: 'not-the-password' });
    const e = await w.run(w.manager.connect(w.profile).catch((x: unknown) => x));
    expect(isFerryError(e) && e.toJSON()).toMatchObject({ phase: 'auth', code: 'push-rejected' });
    expect(isFerryError(e) && e.message).toMatch(/after 1[2-5] s/);
  });
});
