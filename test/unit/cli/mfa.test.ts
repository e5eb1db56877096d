/**
 * The CLI's MFA parts: the terminal re-prompt after a rejected code (the typed error printed, then asked again)
 * or for a reconnect, nothing without a terminal; exit codes of the MFA failures; and `ferry connect --otp` failing
 * cleanly without a helper with the code nowhere in its output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MfaPrompt } from '../../../core/api/ipc';
import { EXIT, exitCodeFor } from '../../../main/cli/exitCodes';
import { main } from '../../../main/cli/main';
import { terminalOtpProvider } from '../../../main/cli/otpPrompt';

type OtpPrompt = Extract<MfaPrompt, { kind: 'otp' }>;
const prompt = (extra: Partial<OtpPrompt> = {}): OtpPrompt => ({
  id: 'otp-1',
  profileId: 'corp',
  kind: 'otp',
  expiresInSeconds: 120,
  retry: false,
  digits: { min: 6, max: 8 },
  ...extra,
});
const signal = new AbortController().signal;

describe('terminalOtpProvider', () => {
  it('after a rejection: prints the typed error, then asks for the next code', async () => {
    const lines: string[] = [];
    const asked: string[] = [];
    const p = terminalOtpProvider({
      profileName: 'Corp',
      interactive: true,
      err: (l) => lines.push(l),
      ask: async (q) => {
        asked.push(q);
        return '246810';
      },
    });
    const code = await p(
      prompt({
        retry: true,
        rejected: { code: 'mfa-rejected', message: 'the server rejected it', hint: 'enter the next code' },
      }),
      signal,
    );
    expect(code).toBe('246810');
    expect(lines).toEqual(['ferry: the server rejected it — enter the next code']);
    expect(asked).toEqual(['One-time code for Corp (next code): ']);
  });

  it('for a reconnect it just asks; without a terminal, or on Ctrl-C, there is no code', async () => {
    const asked: string[] = [];
    const ask = async (q: string) => {
      asked.push(q);
      return '135791';
    };
    const err = () => {};
    expect(
      await terminalOtpProvider({ profileName: 'Corp', interactive: true, err, ask })(prompt(), signal),
    ).toBe('135791');
    expect(asked).toEqual(['One-time code for Corp (reconnect): ']);
    expect(
      await terminalOtpProvider({ profileName: 'Corp', interactive: false, err, ask })(prompt(), signal),
    ).toBeNull();
    expect(asked).toHaveLength(1);
    const interrupted = terminalOtpProvider({
      profileName: 'Corp',
      interactive: true,
      err,
      ask: () => Promise.reject(new Error('interrupted')),
    });
    expect(await interrupted(prompt(), signal)).toBeNull();
  });
});

describe('MFA exit codes', () => {
  it('a rejected code or push is a PPP authentication failure (13); no code at all is a secrets one (4)', () => {
    for (const code of ['mfa-rejected', 'push-rejected', 'push-timeout'])
      expect(exitCodeFor({ phase: 'auth', code })).toBe(EXIT.pppAuth);
    expect(exitCodeFor({ phase: 'auth', code: 'otp-missing' })).toBe(EXIT.secrets);
  });
});

describe('ferry connect --otp', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-cli-mfa-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('with no helper: exit 15, and neither the code nor the password appears in the output', async () => {
    const file = join(dir, 'otp.ferry.json');
    writeFileSync(
      file,
      JSON.stringify({
        format: 'ferry-profile',
        version: 1,
        profile: {
          id: 'otp',
          name: 'OTP',
          server: '192.0.2.1',
          userAuth: { username: 'alice', methods: ['pap'] },
          mfa: { mode: 'otp-append', separator: ',' },
        },
      }),
    );
    const out: string[] = [];
    const code = await main(
      [
        'connect',
        file,
        '--otp',
        '864209',
        '--json',
        '--config-dir',
        join(dir, 'profiles'),
        '--system-dir',
        'none',
        '--policy',
        'none',
        '--control',
        join(dir, 'run', 'cli.sock'),
        '--helper-socket',
        join(dir, 'no-helper.sock'),
      ],
      {
        out: (t) => out.push(t),
        err: (t) => out.push(t),
        env: { FERRY_PSK: 'psk-xyz', FERRY_PASSWORD: 'pw-abc' },
      },
    );
    expect(code).toBe(EXIT.network);
    const text = out.join('\n');
    expect(text).not.toMatch(/(?<!\d)864209(?!\d)/);
    expect(text).not.toContain('pw-abc');
    expect(text).not.toContain('psk-xyz');
  });
});
