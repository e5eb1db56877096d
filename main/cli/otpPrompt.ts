/**
 * The CLI's source of one-time codes after the first (SPEC §3 MFA): a rejected code (the typed `mfa-rejected`,
 * whose text is printed) and reconnects after a loss need a fresh code, and only a terminal can give one. Without
 * a terminal there is none, and the connect ends with the rejection.
 */
import type { OtpProvider } from '../service/connection/mfa';

export interface TerminalOtpOptions {
  readonly profileName: string;
  readonly interactive: boolean;
  /** A line on stderr. */
  readonly err: (line: string) => void;
  /** A no-echo question (promptHidden); null on Ctrl-D. */
  readonly ask: (question: string) => Promise<string | null>;
}

export function terminalOtpProvider(o: TerminalOtpOptions): OtpProvider {
  return async (prompt) => {
    if (!o.interactive) return null;
    if (prompt.rejected) o.err(`ferry: ${prompt.rejected.message} — ${prompt.rejected.hint}`);
    const why = prompt.rejected ? 'next code' : 'reconnect';
    return o.ask(`One-time code for ${o.profileName} (${why}): `).catch(() => null);
  };
}
