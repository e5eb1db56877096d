/** The no-echo terminal prompt and where the CLI takes secrets from (environment, keyring, terminal). */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../core/common/log';
import { parseProfile } from '../../../core/profile/schema';
import {
  isInteractive,
  PromptInterrupted,
  type PromptTerminal,
  promptHidden,
} from '../../../main/cli/prompt';
import { collectSecrets, initialOtp } from '../../../main/cli/secrets';
import { MemorySecretStore } from '../../../main/service/secrets/memory';

/** A fake terminal: keystrokes in, everything written to the screen recorded, raw mode tracked. */
function terminal() {
  const input = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode: (raw: boolean) => void };
  const modes: boolean[] = [];
  input.isTTY = true;
  input.setRawMode = (raw) => modes.push(raw);
  let screen = '';
  const output = new PassThrough() as PassThrough & { isTTY: boolean };
  output.isTTY = true;
  output.on('data', (d: Buffer) => {
    screen += d.toString();
  });
  const t: PromptTerminal = { input, output };
  return { t, type: (s: string) => input.write(s), screen: () => screen, modes };
}

describe('promptHidden', () => {
  it('reads a line with echo off; backspace edits; raw mode is restored', async () => {
    const term = terminal();
    const p = promptHidden('PSK: ', term.t);
    term.type('s3x');
    term.type('\u007fcret\r');
    expect(await p).toBe('s3cret');
    await new Promise((r) => setImmediate(r));
    expect(term.screen()).toBe('PSK: \n');
    expect(term.modes).toEqual([true, false]);
  });

  it('Ctrl-C rejects (the CLI exits 130); Ctrl-D on an empty line gives null', async () => {
    const a = terminal();
    const p = promptHidden('Password: ', a.t);
    a.type('abc\u0003');
    await expect(p).rejects.toBeInstanceOf(PromptInterrupted);
    const b = terminal();
    const q = promptHidden('Password: ', b.t);
    b.type('\u0004');
    expect(await q).toBeNull();
  });

  it('is interactive only when both ends are terminals', () => {
    expect(isInteractive(terminal().t)).toBe(true);
    expect(isInteractive({ input: new PassThrough(), output: new PassThrough() })).toBe(false);
  });
});

const profile = (() => {
  const r = parseProfile({
    id: 'corp',
    name: 'Corp',
    server: 'vpn.example.com',
    userAuth: { username: 'alice' },
  });
  if (!r.ok) throw new Error('fixture');
  return r.value;
})();

describe('collectSecrets', () => {
  it('environment first, registered with the redactor at once', async () => {
    const redactor = new Redactor();
    const s = await collectSecrets(profile, {
      env: { FERRY_PSK: 'env-psk', FERRY_PASSWORD: 'env-pw' },
      redactor,
    });
    expect(s).toEqual({ psk: 'env-psk', password: 'env-pw' });
    expect(redactor.scrub('env-psk env-pw')).toBe('[redacted] [redacted]');
  });

  it('then the keyring (--keyring), then the terminal, saying what and for whom it asks', async () => {
    const redactor = new Redactor();
    const questions: string[] = [];
    const s = await collectSecrets(profile, {
      env: {},
      redactor,
      keyring: new MemorySecretStore({ corp: { psk: 'ring-psk' } }),
      prompt: async (q) => {
        questions.push(q);
        return 'typed-pw';
      },
    });
    expect(s).toEqual({ psk: 'ring-psk', password: 'typed-pw' });
    expect(questions).toEqual(['Password for Corp (alice): ']);
    expect(redactor.scrub('ring-psk typed-pw')).toBe('[redacted] [redacted]');
  });

  it('no environment and no terminal: a secrets error that names the variable', async () => {
    await expect(collectSecrets(profile, { env: {}, redactor: new Redactor() })).rejects.toMatchObject({
      phase: 'secrets',
      code: 'secret-missing',
      hint: expect.stringContaining('FERRY_PSK'),
    });
  });

  it('certificate profiles: the client key from the environment or the keyring, never a prompt', async () => {
    const r = parseProfile({
      id: 'certs',
      name: 'Certs',
      server: 'vpn.example.com',
      machineAuth: {
        method: 'certificate',
        clientCertificate: 'ab'.repeat(32),
        caCertificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      },
      userAuth: { username: 'alice' },
    });
    if (!r.ok) throw new Error('fixture');
    const redactor = new Redactor();
    const fromRing = await collectSecrets(r.value, {
      env: { FERRY_PASSWORD: 'pw' },
      redactor,
      keyring: new MemorySecretStore({ certs: { 'client-key': 'serialized-credentials' } }),
    });
    expect(fromRing).toEqual({ 'client-key': 'serialized-credentials', password: 'pw' });
    expect(redactor.scrub('serialized-credentials')).toBe('[redacted]');
    const asked: string[] = [];
    await expect(
      collectSecrets(r.value, {
        env: { FERRY_PASSWORD: 'pw' },
        redactor,
        prompt: async (q) => {
          asked.push(q);
          return 'typed';
        },
      }),
    ).rejects.toMatchObject({
      phase: 'secrets',
      code: 'secret-missing',
      hint: expect.stringContaining('--keyring'),
    });
    expect(asked).toEqual([]);
  });

  it('the first OTP from --otp, else FERRY_OTP; nonsense is ignored', () => {
    expect(initialOtp('123456', { FERRY_OTP: '654321' })).toBe('123456');
    expect(initialOtp(undefined, { FERRY_OTP: '654321' })).toBe('654321');
    expect(initialOtp(undefined, { FERRY_OTP: 'abc' })).toBeUndefined();
    expect(initialOtp(undefined, {})).toBeUndefined();
  });
});
