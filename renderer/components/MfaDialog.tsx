/**
 * The second-factor prompt (SPEC §4): a code field (6–8 digits, numeric keyboard, paste-friendly) or a
 * "waiting for approval" state, each with a countdown to the prompt's deadline (absolute, from the host). A
 * re-prompt after a rejected code says why, in the words of the core's typed error. The code is component state
 * only: sent once, then cleared.
 */
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { MfaPrompt } from '../../core/api/ipc';
import { useNow } from '../dom/hooks';
import { formatCountdown } from '../logic/format';
import { clampDigits, codeProblem, promptSecondsLeft, sanitizeCode } from '../logic/otp';
import { useActions, useFerry } from '../store/context';
import type { ActiveMfa } from '../store/state';
import { profileById } from '../store/state';
import { Icon } from './ui/Icon';
import { Modal } from './ui/Modal';

function Countdown({ total, left }: { total: number; left: number }) {
  return (
    <div className="countdown" id="mfa-countdown">
      <p>
        {left > 0 ? (
          <>
            The server waits <time data-testid="mfa-countdown">{formatCountdown(left)}</time> more.
          </>
        ) : (
          <strong>The server stopped waiting. Cancel and connect again.</strong>
        )}
      </p>
      <progress max={total} value={left} aria-label="Time left" />
    </div>
  );
}

function OtpForm({
  prompt,
  receivedAt,
  profileName,
  onCancel,
}: PromptProps & { prompt: Extract<MfaPrompt, { kind: 'otp' }> }) {
  const { answerMfa } = useActions();
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const range = clampDigits(prompt.digits);
  const left = promptSecondsLeft(prompt, receivedAt, useNow(250));

  useEffect(() => input.current?.focus(), []);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const problem = codeProblem(code, range);
    if (problem) {
      setError(problem);
      input.current?.focus();
      return;
    }
    const sent = code;
    setCode('');
    setSending(true);
    const r = await answerMfa(prompt.id, sent);
    setSending(false);
    if (r.type === 'error') {
      setError(r.error.hint ? `${r.error.message} — ${r.error.hint}` : r.error.message);
      input.current?.focus();
    }
  };

  const digits = range.min === range.max ? `${range.min} digits` : `${range.min} to ${range.max} digits`;
  return (
    <form className="mfa-form" onSubmit={(e) => void submit(e)} noValidate>
      <h2 id="mfa-title">Enter your verification code</h2>
      <p id="mfa-description">
        <strong>{profileName}</strong> asks for the one-time code from your authenticator app or token.
      </p>
      {prompt.retry ? (
        <div className="callout error" role="alert" data-testid="mfa-rejected">
          <Icon name="warning" />
          <div>
            <p>That code was not accepted. Wait for the next code and enter it.</p>
            {prompt.rejected ? (
              <p className="mfa-reason" data-testid="mfa-rejected-reason">
                {prompt.rejected.message} — {prompt.rejected.hint}{' '}
                <code data-testid="mfa-rejected-code">{prompt.rejected.code}</code>
              </p>
            ) : null}
          </div>
        </div>
      ) : null}
      <div className={`field${error ? ' has-error' : ''}`}>
        <label htmlFor="mfa-code">Verification code</label>
        <input
          ref={input}
          id="mfa-code"
          className="otp-input"
          type="text"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]*"
          spellCheck={false}
          value={code}
          disabled={sending || left <= 0}
          aria-invalid={error ? true : undefined}
          aria-describedby={`mfa-code-help${error ? ' mfa-code-error' : ''} mfa-countdown`}
          onChange={(e) => {
            setCode(sanitizeCode(e.target.value, range.max));
            setError(null);
          }}
        />
        <p id="mfa-code-help" className="field-help">
          {digits}; spaces and dashes in a pasted code are ignored.
        </p>
        {error ? (
          <p id="mfa-code-error" className="field-error" role="alert">
            {error}
          </p>
        ) : null}
      </div>
      <Countdown total={prompt.expiresInSeconds} left={left} />
      <div className="dialog-actions">
        <button type="button" className="button secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button primary" disabled={sending || left <= 0}>
          {sending ? 'Checking…' : 'Verify'}
        </button>
      </div>
    </form>
  );
}

function PushWait({
  prompt,
  receivedAt,
  profileName,
  onCancel,
}: PromptProps & { prompt: Extract<MfaPrompt, { kind: 'push' }> }) {
  const cancel = useRef<HTMLButtonElement>(null);
  const left = promptSecondsLeft(prompt, receivedAt, useNow(250));
  useEffect(() => cancel.current?.focus(), []);
  return (
    <div className="mfa-push">
      <Icon name="phone" className="push-icon" />
      <h2 id="mfa-title">Approve the sign-in on your device</h2>
      <p id="mfa-description" role="status">
        Waiting for approval on your device for <strong>{profileName}</strong>…
      </p>
      <Countdown total={prompt.expiresInSeconds} left={left} />
      <div className="dialog-actions">
        <button ref={cancel} type="button" className="button secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

interface PromptProps {
  receivedAt: number;
  profileName: string;
  onCancel: () => void;
}

export function MfaDialog() {
  const mfa = useFerry((s) => s.mfa);
  const name = useFerry((s) => (s.mfa ? profileById(s, s.mfa.prompt.profileId)?.profile.name : undefined));
  const { answerMfa, dismissMfa } = useActions();
  const shown = useRef<ActiveMfa | null>(null);
  shown.current = mfa;
  const cancel = (): void => {
    const current = shown.current;
    if (!current) return;
    dismissMfa(current.prompt.id);
    void answerMfa(current.prompt.id, null);
  };
  return (
    <Modal
      open={mfa !== null}
      labelledBy="mfa-title"
      describedBy="mfa-description"
      onCancel={cancel}
      className="mfa-dialog"
    >
      {mfa?.prompt.kind === 'otp' ? (
        <OtpForm
          key={mfa.prompt.id}
          prompt={mfa.prompt}
          receivedAt={mfa.receivedAt}
          profileName={name ?? mfa.prompt.profileId}
          onCancel={cancel}
        />
      ) : mfa?.prompt.kind === 'push' ? (
        <PushWait
          key={mfa.prompt.id}
          prompt={mfa.prompt}
          receivedAt={mfa.receivedAt}
          profileName={name ?? mfa.prompt.profileId}
          onCancel={cancel}
        />
      ) : null}
    </Modal>
  );
}
