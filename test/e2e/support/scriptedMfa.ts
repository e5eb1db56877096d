/**
 * The scripted host's second factor (a UI-level test double): OTP prompts with retries and push approval, each
 * with the server's deadline; the test approves, denies or expires pushes. It records the OTP codes it receives.
 */
import type { IpcError, IpcEvents, IpcResult, MfaPrompt, MfaWait } from '../../../core/api/ipc';
import type { LogLevel } from '../../../core/common/log';
import type { Profile } from '../../../core/profile/schema';

export interface OtpPolicy {
  /** The code the simulated server accepts. */
  readonly accept: string;
  readonly expiresInSeconds: number;
  readonly digits: { readonly min: number; readonly max: number };
  /** Wrong codes tolerated before the server fails the auth phase. */
  readonly attempts: number;
}

export interface MfaHost {
  emit<E extends keyof IpcEvents>(event: E, payload: IpcEvents[E]): void;
  log(
    profileId: string,
    level: LogLevel,
    scope: string,
    msg: string,
    fields?: Record<string, string | number>,
  ): void;
}

/** How the auth phase fails when the second factor does. */
export interface MfaFailure {
  readonly kind: 'fail';
  readonly phase: 'auth';
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}

/** An MfaPrompt before the simulator gives it an id. */
type PromptRequest = MfaPrompt extends infer P ? (P extends MfaPrompt ? Omit<P, 'id'> : never) : never;

type Answer =
  | { kind: 'code'; code: string }
  | { kind: 'cancel' }
  | { kind: 'expire' }
  | { kind: 'approve' }
  | { kind: 'deny' };

const fail = (code: string, message: string, hint?: string): IpcResult<null> => ({
  type: 'error',
  error: { code, message, ...(hint ? { hint } : {}) } satisfies IpcError,
});
const failure = (code: string, message: string, hint: string): MfaFailure => ({
  kind: 'fail',
  phase: 'auth',
  code,
  message,
  hint,
});

export class MfaSimulator {
  /** Every OTP code the UI sent (to prove codes reach the host, and only the host). */
  readonly otpCodes: string[] = [];
  private prompt: {
    prompt: MfaPrompt;
    answer: (a: Answer) => void;
    timer: ReturnType<typeof setTimeout>;
  } | null = null;
  private seq = 0;

  constructor(
    private readonly host: MfaHost,
    public otp: OtpPolicy,
  ) {}

  /** The prompt waiting for an answer, if any. */
  get current(): MfaPrompt | null {
    return this.prompt?.prompt ?? null;
  }

  answer(promptId: string, code: string | null): IpcResult<null> {
    const p = this.prompt;
    if (!p || p.prompt.id !== promptId)
      return fail('unknown-prompt', 'This verification request is no longer active.', 'Connect again.');
    if (code === null) {
      this.settle({ kind: 'cancel' });
      return { type: 'success', value: null };
    }
    if (p.prompt.kind !== 'otp')
      return fail('unexpected-code', 'This request waits for approval on your device.');
    this.otpCodes.push(code);
    this.settle({ kind: 'code', code });
    return { type: 'success', value: null };
  }

  approvePush(): void {
    if (this.prompt?.prompt.kind === 'push') this.settle({ kind: 'approve' });
  }

  denyPush(): void {
    if (this.prompt?.prompt.kind === 'push') this.settle({ kind: 'deny' });
  }

  /** The server stops waiting (the real deadline is expiresInSeconds, real time). */
  expire(): void {
    if (this.prompt) this.settle({ kind: 'expire' });
  }

  /** The connect was cancelled: drop its prompt. */
  cancelFor(profileId: string): void {
    if (this.prompt?.prompt.profileId === profileId) this.settle({ kind: 'cancel' });
  }

  dispose(): void {
    if (this.prompt) clearTimeout(this.prompt.timer);
    this.prompt = null;
  }

  /**
   * The second factor inside the auth phase; null when it passed, else the failure. `waiting` hears when a prompt
   * opens and closes (the connection view's `waitingFor`, as the real service reports it).
   */
  async secondFactor(
    profileId: string,
    p: Profile,
    waiting: (w: MfaWait | null) => void = () => {},
  ): Promise<MfaFailure | null> {
    if (p.mfa.mode === 'none') return null;
    try {
      return await this.askUser(profileId, p, waiting);
    } finally {
      waiting(null);
    }
  }

  private async askUser(
    profileId: string,
    p: Profile,
    waiting: (w: MfaWait | null) => void,
  ): Promise<MfaFailure | null> {
    if (p.mfa.mode === 'none') return null;
    if (p.mfa.mode === 'push') {
      waiting({ kind: 'push', retry: false });
      const a = await this.ask(profileId, {
        profileId,
        kind: 'push',
        expiresInSeconds: p.mfa.timeoutSeconds,
      });
      this.host.emit('mfa', null);
      if (a.kind === 'approve') return null;
      if (a.kind === 'deny')
        return failure(
          'push-denied',
          'The sign-in was denied on the device.',
          'If it was not you, tell your IT department.',
        );
      if (a.kind === 'expire')
        return failure(
          'push-timeout',
          'The sign-in was not approved in time.',
          'Connect again and approve it on your device.',
        );
      return failure(
        'mfa-cancelled',
        'Verification cancelled.',
        'Connect again when you are ready to approve.',
      );
    }
    // otp-prompt and otp-append both ask for the code; with otp-append the host appends it to the password.
    for (let attempt = 0; attempt < this.otp.attempts; attempt++) {
      waiting({ kind: 'otp', retry: attempt > 0 });
      const a = await this.ask(profileId, {
        profileId,
        kind: 'otp',
        expiresInSeconds: this.otp.expiresInSeconds,
        retry: attempt > 0,
        digits: this.otp.digits,
      });
      if (a.kind === 'code' && a.code === this.otp.accept) {
        this.host.emit('mfa', null);
        return null;
      }
      if (a.kind === 'code') {
        this.host.log(profileId, 'warn', 'ferry.ppp', 'the server rejected the one-time code', {
          attempt: attempt + 1,
        });
        continue;
      }
      this.host.emit('mfa', null);
      if (a.kind === 'expire')
        return failure(
          'mfa-timeout',
          'No code was entered in time.',
          'Connect again and enter the code before the countdown ends.',
        );
      return failure('mfa-cancelled', 'Verification cancelled.', 'Connect again when you have your code.');
    }
    this.host.emit('mfa', null);
    return failure(
      'mfa-rejected',
      'The one-time code was rejected.',
      'Check the code in your authenticator app and that its clock is right.',
    );
  }

  private settle(a: Answer): void {
    const p = this.prompt;
    if (!p) return;
    clearTimeout(p.timer);
    this.prompt = null;
    p.answer(a);
  }

  private ask(profileId: string, prompt: PromptRequest): Promise<Answer> {
    const full = { ...prompt, id: `mfa-${++this.seq}` } as MfaPrompt;
    return new Promise<Answer>((answer) => {
      const timer = setTimeout(() => this.settle({ kind: 'expire' }), prompt.expiresInSeconds * 1000);
      this.prompt = { prompt: full, answer, timer };
      this.host.emit('mfa', full);
      this.host.log(profileId, 'info', 'ferry.ppp', `second factor requested (${full.kind})`);
    });
  }
}
