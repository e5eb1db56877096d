/**
 * MFA through the manager (SPEC §3, §4): an OTP appended to the password (from a provider, or from the UI's
 * answerMfa), a missing or expired code, push approval shown while PPP authentication waits, and the OTP kept out
 * of every log line and the diagnostics bundle.
 */
import { describe, expect, it } from 'vitest';
import type { MfaPrompt } from '../../../core/api/ipc';
import { isFerryError } from '../../../core/common/errors';
import { formatLogEntry } from '../../../core/common/log';
import { managerWorld, PASSWORD } from './support';

const OTP = '482916';
const otpProfile = { mfa: { mode: 'otp-append', separator: ',' }, routing: { mode: 'split', subnets: [] } };

async function otpWorld(extra: Parameters<typeof managerWorld>[0] = {}) {
  return managerWorld({
    methods: ['pap'],
    profile: otpProfile,
    server: { authOrder: ['pap'], password: `${PASSWORD},${OTP}` },
    ...extra,
  });
}

describe('ConnectionManager MFA', () => {
  it('otp-append: the code from the provider travels appended to the password, and is never logged', async () => {
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
        retry: false,
        digits: { min: 6, max: 8 },
      },
    ]);
    expect(w.servers[0]!.papAttempts).toEqual([{ user: 'alice', password: `${PASSWORD},${OTP}` }]);
    const bundle = (await w.manager.bundle(w.profile.id))!;
    const logs = w.logs.map(formatLogEntry).join('\n');
    for (const text of [bundle, logs]) {
      expect(text).not.toContain(OTP);
      expect(text).not.toContain(PASSWORD);
    }
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
    await w.run(w.manager.disconnect(w.profile.id));
  });

  it('without a provider the prompt is an mfa event, answered by answerMfa (the UI)', async () => {
    const w = await otpWorld();
    const events: (MfaPrompt | null)[] = [];
    w.manager.events.on('mfa', (p) => {
      events.push(p);
      if (p?.kind === 'otp') queueMicrotask(() => expect(w.manager.answerMfa(p.id, OTP)).toBe(true));
    });
    await w.run(w.manager.connect(w.profile));
    expect(events.map((e) => e?.kind ?? null)).toEqual(['otp', null]);
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
    await w.manager.disconnect(w.profile.id);
    const e = await p;
    expect(isFerryError(e) && e.code).toBe('cancelled');
    expect(events.map((x) => x?.kind ?? null)).toEqual(['otp', null]);
    expect(w.manager.view(w.profile.id)?.state).toEqual({ kind: 'disconnected', reason: 'user' });
    expect(w.carriers).toHaveLength(0);
  });

  it('a rejected code marks the next prompt as a retry, until a code is accepted', async () => {
    const prompts: MfaPrompt[] = [];
    const answers = ['000000', OTP, OTP];
    const w = await otpWorld({
      manager: {
        otp: async (p) => {
          prompts.push(p);
          return answers.shift() ?? null;
        },
      },
    });
    await w.run(w.manager.connect(w.profile).catch(() => undefined));
    expect(w.manager.view(w.profile.id)?.state).toMatchObject({
      kind: 'failed',
      phase: 'auth',
      code: 'auth-failed',
    });
    await w.run(w.manager.connect(w.profile));
    await w.run(w.manager.disconnect(w.profile.id));
    await w.run(w.manager.connect(w.profile));
    expect(prompts.map((p) => p.kind === 'otp' && p.retry)).toEqual([false, true, false]);
    await w.run(w.manager.disconnect(w.profile.id));
  });

  it('push: "waiting for approval" is shown while authentication waits, then cleared', async () => {
    const w = await managerWorld({
      profile: { mfa: { mode: 'push', timeoutSeconds: 90 } },
      lns: { authDelayMs: 20_000 },
    });
    const events: (MfaPrompt | null)[] = [];
    w.manager.events.on('mfa', (p) => events.push(p));
    const up = w.manager.connect(w.profile);
    await w.clock.advance(5_000);
    expect(w.manager.mfaPrompt).toEqual({
      id: 'push-fake-lns',
      profileId: 'fake-lns',
      kind: 'push',
      expiresInSeconds: 90,
    });
    await w.run(up);
    expect(events).toEqual([w.manager.mfaPrompt ?? expect.objectContaining({ kind: 'push' }), null]);
    expect(w.manager.view(w.profile.id)?.state.kind).toBe('connected');
    await w.run(w.manager.disconnect(w.profile.id));
  });

  it('otp-prompt (a second prompt) is refused as unsupported, not silently mishandled', async () => {
    const w = await managerWorld({ profile: { mfa: { mode: 'otp-prompt' } } });
    const e = await w.run(w.manager.connect(w.profile).catch((x: unknown) => x));
    expect(isFerryError(e) && e.toJSON()).toMatchObject({ phase: 'profile', code: 'mfa-unsupported' });
  });
});
