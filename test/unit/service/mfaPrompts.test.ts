/**
 * The MFA prompt broker and the one-time-code redaction scope on a fake clock and an injected wall clock:
 * deadlines (and the renderer's countdown that reads them), re-prompts carrying the typed rejection, expiry,
 * provider aborts, push cancel; codes scrubbed while held (not inside longer numbers) and forgotten after.
 */
import { describe, expect, it } from 'vitest';
import type { MfaPrompt } from '../../../core/api/ipc';
import { createLogger, type LogEntry, Redactor } from '../../../core/common/log';
import { CodeRedactor } from '../../../main/service/connection/codeRedaction';
import { MfaPrompts, type OtpProvider } from '../../../main/service/connection/mfa';
import { promptSecondsLeft } from '../../../renderer/logic/otp';
import { FakeClock, seededRandom } from '../../support/deterministic';

const WALL = 1_700_000_000_000;

function broker(o: { provider?: OtpProvider; otpTimeoutSeconds?: number } = {}) {
  const clock = new FakeClock();
  const shown: (MfaPrompt | null)[] = [];
  const cancelled: string[] = [];
  const prompts = new MfaPrompts({
    clock,
    random: seededRandom(3),
    changed: (p) => shown.push(p),
    now: () => WALL + clock.now(),
    cancelPush: (id) => cancelled.push(id),
    ...o,
  });
  return { clock, shown, cancelled, prompts };
}

describe('MfaPrompts', () => {
  it('an OTP prompt carries its absolute deadline; a re-prompt carries the typed rejection', async () => {
    const { clock, shown, prompts } = broker();
    await clock.advance(5000);
    const code = prompts.otp('corp', {
      retry: true,
      rejected: { code: 'mfa-rejected', message: 'the server rejected it', hint: 'next code' },
    });
    const p = prompts.prompt as Extract<MfaPrompt, { kind: 'otp' }>;
    expect(p).toMatchObject({
      kind: 'otp',
      profileId: 'corp',
      expiresInSeconds: 120,
      deadline: WALL + 5000 + 120_000,
      retry: true,
      rejected: { code: 'mfa-rejected', message: 'the server rejected it', hint: 'next code' },
    });
    expect(prompts.answer(p.id, '123456')).toBe(true);
    expect(await code).toBe('123456');
    expect(shown.map((x) => x?.kind ?? null)).toEqual(['otp', null]);
  });

  it('expires at the deadline (null), and a late answer is refused', async () => {
    const { clock, prompts } = broker({ otpTimeoutSeconds: 30 });
    const code = prompts.otp('corp', { retry: false });
    const id = prompts.prompt!.id;
    await clock.advance(29_999);
    expect(prompts.prompt).not.toBeNull();
    await clock.advance(1);
    expect(await code).toBeNull();
    expect(prompts.prompt).toBeNull();
    expect(prompts.answer(id, '123456')).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a provider is aborted at the deadline; nonsense from it counts as no code', async () => {
    let aborted = false;
    const { clock, prompts } = broker({
      otpTimeoutSeconds: 10,
      provider: (_p, signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve('not-a-code');
          });
        }),
    });
    const code = prompts.otp('corp', { retry: false });
    await clock.advance(10_000);
    expect(await code).toBeNull();
    expect(aborted).toBe(true);
  });

  it('push: shown once per id (the first deadline stays), cancelled by answering null, a code is refused', () => {
    const { shown, cancelled, prompts } = broker();
    const push = (deadline: number) =>
      ({ id: 'push-corp', profileId: 'corp', kind: 'push', expiresInSeconds: 60, deadline }) as const;
    prompts.push('corp', push(WALL + 60_000));
    prompts.push('corp', push(WALL + 61_000));
    expect(shown).toEqual([push(WALL + 60_000)]);
    expect(prompts.answer('push-corp', '123456')).toBe(false);
    expect(prompts.answer('push-corp', null)).toBe(true);
    expect(cancelled).toEqual(['corp']);
    expect(prompts.prompt).toBeNull();
    expect(prompts.answer('push-corp', null)).toBe(false);
  });

  it("the renderer's countdown reads the deadline (a reload does not restart it) and never exceeds the window", () => {
    const p = { expiresInSeconds: 60, deadline: WALL + 60_000 };
    // Received 20 s late (e.g. a window opened mid-push): still counts to the same moment.
    expect(promptSecondsLeft(p, WALL + 20_000, WALL + 20_000)).toBe(40);
    expect(promptSecondsLeft(p, WALL, WALL + 59_500)).toBe(0.5);
    expect(promptSecondsLeft(p, WALL, WALL + 90_000)).toBe(0);
    // A page clock behind the host's cannot stretch the window.
    expect(promptSecondsLeft(p, WALL - 30_000, WALL - 30_000)).toBe(60);
    // Without a deadline (older hosts): from arrival.
    expect(promptSecondsLeft({ expiresInSeconds: 30 }, 1000, 13_500)).toBe(17.5);
  });
});

describe('CodeRedactor', () => {
  it('scrubs a held code (not inside longer numbers), forgets it on release, and passes the rest through', () => {
    const shared = new Redactor();
    shared.addSecret('the-password');
    const codes = new CodeRedactor(shared);
    codes.addSecret('another-secret'); // long-lived: goes to the shared redactor
    expect(shared.scrub('another-secret')).toBe('[redacted]');
    codes.hold('482916');
    expect(codes.holding).toBe(1);
    expect(codes.scrub('code 482916, ts 1700000482916, pw the-password')).toBe(
      'code [redacted], ts 1700000482916, pw [redacted]',
    );
    codes.release();
    expect(codes.holding).toBe(0);
    expect(codes.scrub('code 482916')).toBe('code 482916');
    expect(shared.scrub('code 482916')).toBe('code 482916');
  });

  it('works as a logger redactor: messages, fields and errors', () => {
    const entries: LogEntry[] = [];
    const codes = new CodeRedactor(new Redactor());
    const log = createLogger({ sinks: [(e) => entries.push(e)], redactor: codes });
    codes.hold('135790');
    log.info('got 135790', { note: 'x135790', error: new Error('bad 135790') });
    codes.release();
    expect(JSON.stringify(entries)).not.toMatch(/(?<!\d)135790(?!\d)/);
    expect(entries[0]!.msg).toBe('got [redacted]');
  });
});
