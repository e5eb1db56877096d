/** The `ferry` command line: commands, options anywhere, usage errors, and the exit code of each failure class. */
import { describe, expect, it } from 'vitest';
import { CONNECT_PHASES } from '../../../core/common/errors';
import { parseArgs } from '../../../main/cli/args';
import { childArgv } from '../../../main/cli/commands/background';
import { EXIT, exitCodeFor } from '../../../main/cli/exitCodes';

const ok = (argv: string[]) => {
  const r = parseArgs(argv);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const usage = (argv: string[]) => {
  const r = parseArgs(argv);
  if (r.ok) throw new Error(`expected a usage error for ${argv.join(' ')}`);
  return r.error;
};

describe('parseArgs', () => {
  it('connect with a profile, --otp, --json, --background and global options in any order', () => {
    expect(
      ok(['--json', 'connect', 'corp', '--otp', '123456', '--background', '--helper-socket=/run/h.sock']),
    ).toEqual({
      command: { cmd: 'connect', profile: 'corp', otp: '123456', background: true, daemonChild: false },
      options: { json: true, keyring: false, helperSocket: '/run/h.sock' },
    });
    expect(
      ok(['connect', './lab.ferry.json', '-v', '--keyring', '--control', '/tmp/c.sock']).options,
    ).toEqual({
      json: false,
      keyring: true,
      control: '/tmp/c.sock',
      logLevel: 'debug',
    });
  });

  it('the query commands, import, profiles, version and help', () => {
    expect(ok(['status', '--json']).command).toEqual({ cmd: 'status' });
    expect(ok(['diag', '-o', '/tmp/d.json']).command).toEqual({ cmd: 'diag', output: '/tmp/d.json' });
    expect(ok(['disconnect']).command).toEqual({ cmd: 'disconnect' });
    expect(
      ok(['profiles', '--config-dir', '/x', '--system-dir', 'none', '--policy', 'none']).options,
    ).toMatchObject({
      configDir: '/x',
      systemDir: 'none',
      policyFile: 'none',
    });
    expect(ok(['import', 'a.ferry.json']).command).toEqual({ cmd: 'import', file: 'a.ferry.json' });
    expect(ok(['--version']).command).toEqual({ cmd: 'version' });
    expect(ok(['-V']).command).toEqual({ cmd: 'version' });
    expect(ok([]).command).toEqual({ cmd: 'help' });
    expect(ok(['help', 'connect']).command).toEqual({ cmd: 'help', topic: 'connect' });
    expect(ok(['connect', '--help']).command).toEqual({ cmd: 'help', topic: 'connect' });
    // A profile literally named like an option goes after --.
    expect(ok(['connect', '--', '--weird']).command).toMatchObject({ profile: '--weird' });
  });

  it('usage errors: unknown commands and options, missing or extra arguments, bad values, misplaced options', () => {
    expect(usage(['frobnicate'])).toMatch(/unknown command/);
    expect(usage(['status', '--colour'])).toMatch(/unknown option --colour/);
    expect(usage(['connect'])).toMatch(/needs a profile/);
    expect(usage(['connect', 'a', 'b'])).toMatch(/unexpected argument b/);
    expect(usage(['status', 'extra'])).toMatch(/unexpected argument/);
    expect(usage(['connect', 'a', '--otp'])).toMatch(/--otp needs a value/);
    expect(usage(['connect', 'a', '--otp', '12ab56'])).toMatch(/6 to 8 digits/);
    expect(usage(['status', '--otp', '123456'])).toMatch(/only for ferry connect/);
    expect(usage(['status', '--background'])).toMatch(/only for ferry connect/);
    expect(usage(['status', '--log-level', 'loud'])).toMatch(/--log-level/);
    expect(usage(['status', '--json=yes'])).toMatch(/takes no value/);
  });

  it('never accepts a secret as an option (only the OTP)', () => {
    for (const o of ['--psk', '--password', '--secret'])
      expect(usage(['connect', 'a', o, 'x'])).toMatch(/unknown option/);
  });
});

describe('exit codes', () => {
  it('one class per failing phase', () => {
    const byPhase = Object.fromEntries(CONNECT_PHASES.map((p) => [p, exitCodeFor({ phase: p, code: 'x' })]));
    expect(byPhase).toEqual({
      'ike-phase1': 10,
      'quick-mode': 11,
      'l2tp-tunnel': 12,
      'l2tp-session': 12,
      lcp: 14,
      auth: 13,
      ipcp: 14,
      routes: 15,
      dns: 15,
    });
    expect(exitCodeFor({ phase: 'helper', code: 'helper-unavailable' })).toBe(EXIT.network);
    expect(exitCodeFor({ phase: 'transport', code: 'tun-permission' })).toBe(EXIT.network);
    expect(exitCodeFor({ phase: 'established', code: 'dead-peer' })).toBe(EXIT.lost);
    expect(exitCodeFor({ phase: 'secrets', code: 'secret-missing' })).toBe(EXIT.secrets);
    expect(exitCodeFor({ phase: 'profile', code: 'mfa-unsupported' })).toBe(EXIT.profile);
    expect(exitCodeFor({ phase: 'teardown', code: 'x' })).toBe(EXIT.internal);
  });

  it('a missing one-time code is a secrets problem; a cancelled connect is an interruption', () => {
    expect(exitCodeFor({ phase: 'auth', code: 'otp-missing' })).toBe(4);
    expect(exitCodeFor({ phase: 'auth', code: 'auth-failed' })).toBe(13);
    expect(exitCodeFor({ phase: 'ike-phase1', code: 'cancelled' })).toBe(130);
  });

  it('all codes are distinct', () => {
    const codes = Object.values(EXIT);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('the --background child command line', () => {
  it('drops --background and the OTP (it travels on stdin) and marks the child', () => {
    expect(childArgv(['connect', 'corp', '--background', '--otp', '123456', '--json'])).toEqual([
      'connect',
      'corp',
      '--json',
      '--daemon-child',
    ]);
    expect(childArgv(['connect', '--otp=654321', 'corp', '--background'])).toEqual([
      'connect',
      'corp',
      '--daemon-child',
    ]);
  });
});
