/**
 * SPEC §4 MFA prompts: a pending one-time-code request (answered by `answer(id, code)` from the UI, or by an
 * injected provider such as the CLI's terminal prompt) and the "waiting for push approval" notice. Every prompt
 * carries its absolute deadline (wall clock) so a countdown stays right across reloads; a re-prompt carries the
 * typed error that rejected the previous code. Codes pass through and are never kept here.
 */
import type { MfaPrompt, MfaRejection } from '../../../core/api/ipc';
import type { Clock, TimerHandle } from '../../../core/common/clock';
import { type RandomSource, randomU32 } from '../../../core/common/random';
import type { MfaBroker, OtpAsk } from './session';

export type OtpPrompt = Extract<MfaPrompt, { kind: 'otp' }>;
export type PushPrompt = Extract<MfaPrompt, { kind: 'push' }>;
export type { MfaRejection };

/** Supplies a code for a prompt; null = none (cancelled or no way to ask). */
export type OtpProvider = (prompt: OtpPrompt, signal: AbortSignal) => Promise<string | null>;

const OTP_RE = /^\d{6,8}$/;
export const DEFAULT_OTP_TIMEOUT_SECONDS = 120;

export class MfaPrompts implements MfaBroker {
  private current: MfaPrompt | null = null;
  private waiting: {
    id: string;
    profileId: string;
    resolve: (code: string | null) => void;
    timer: TimerHandle;
  } | null = null;

  constructor(
    private readonly opts: {
      readonly clock: Clock;
      readonly random: RandomSource;
      /** Called whenever the prompt shown changes (the `mfa` event). */
      readonly changed: (prompt: MfaPrompt | null) => void;
      readonly provider?: OtpProvider;
      /** How long a code request waits for an answer (default 120 s). */
      readonly otpTimeoutSeconds?: number;
      /** Wall-clock time in ms since the epoch, for the prompts' deadlines (default Date.now). */
      readonly now?: () => number;
      /** The user cancelled a pending push (answered its prompt with null): stop that connect. */
      readonly cancelPush?: (profileId: string) => void;
    },
  ) {}

  get prompt(): MfaPrompt | null {
    return this.current;
  }

  async otp(profileId: string, ask: OtpAsk = { retry: false }): Promise<string | null> {
    this.cancel();
    const seconds = this.opts.otpTimeoutSeconds ?? DEFAULT_OTP_TIMEOUT_SECONDS;
    const prompt: OtpPrompt = {
      id: `otp-${randomU32(this.opts.random).toString(16).padStart(8, '0')}`,
      profileId,
      kind: 'otp',
      expiresInSeconds: seconds,
      deadline: Math.round((this.opts.now ?? Date.now)() + seconds * 1000),
      retry: ask.retry,
      ...(ask.rejected ? { rejected: ask.rejected } : {}),
      digits: { min: 6, max: 8 },
    };
    this.show(prompt);
    const code = await new Promise<string | null>((resolve) => {
      const timer = this.opts.clock.setTimeout(() => this.settle(prompt.id, null), seconds * 1000);
      this.waiting = { id: prompt.id, profileId, resolve, timer };
      if (this.opts.provider) {
        const ac = new AbortController();
        const stop = this.opts.clock.setTimeout(() => ac.abort(), seconds * 1000);
        this.opts.provider(prompt, ac.signal).then(
          (c) => {
            this.opts.clock.clearTimeout(stop);
            this.settle(prompt.id, c);
          },
          () => this.settle(prompt.id, null),
        );
      }
    });
    return code !== null && OTP_RE.test(code) ? code : null;
  }

  /**
   * The UI's answer to the prompt `id`: a code, or null = cancel (for a push prompt: stop waiting, which ends that
   * connect). False when no such prompt is pending, or a code was sent for a push.
   */
  answer(id: string, code: string | null): boolean {
    const push = this.current?.kind === 'push' && this.current.id === id ? this.current : null;
    if (push) {
      if (code !== null) return false;
      this.show(null);
      this.opts.cancelPush?.(push.profileId);
      return true;
    }
    if (!this.waiting || this.waiting.id !== id) return false;
    this.settle(id, code);
    return true;
  }

  push(_profileId: string, prompt: PushPrompt | null): void {
    if (prompt === null) {
      if (this.current?.kind === 'push') this.show(null);
      return;
    }
    if (this.current?.id !== prompt.id) this.show(prompt);
  }

  /** Drops a pending code request (as if cancelled): any, or only one for `profileId`. */
  cancel(profileId?: string): void {
    if (this.waiting && (profileId === undefined || this.waiting.profileId === profileId))
      this.settle(this.waiting.id, null);
  }

  private settle(id: string, code: string | null): void {
    const w = this.waiting;
    if (!w || w.id !== id) return;
    this.waiting = null;
    this.opts.clock.clearTimeout(w.timer);
    if (this.current?.id === id) this.show(null);
    w.resolve(code);
  }

  private show(p: MfaPrompt | null): void {
    this.current = p;
    this.opts.changed(p);
  }
}
