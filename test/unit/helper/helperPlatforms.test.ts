import { describe, expect, it } from 'vitest';
import { verifyHelperEndpoint, verifyHelperPipe } from '../../../main/helper/client';
import {
  defaultEndpoint,
  defaultStatePath,
  parseHelperArgs,
  platformProblem,
  WINDOWS_PIPE,
} from '../../../main/helper/config';
import { decodeXucred, encodeXucred, XUCRED_SIZE } from '../../../main/helper/darwin/socketLibc';
import {
  decodeSid,
  decodeTokenGroups,
  decodeTokenUser,
  encodeSid,
  encodeTokenGroups,
  encodeTokenUser,
} from '../../../main/helper/win32/sid';
import { fuzzDecoder } from '../../support/fuzz';
import { launchDaemon, readRepo } from '../build/builderSupport';

const groups = (n: string) => (n === 'staff' ? 20 : n === 'ferry' ? 990 : null);
const parse = (argv: string[], platform: NodeJS.Platform) => {
  const r = parseHelperArgs(argv, groups, platform, { SystemRoot: 'C:\\Windows' });
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('helper endpoints per OS', () => {
  it('defaults: /run on Linux, /var/run on macOS (as the LaunchDaemon), the protected pipe on Windows', () => {
    expect(defaultEndpoint('linux')).toBe('/run/ferry/helper.sock');
    expect(defaultEndpoint('darwin')).toBe('/var/run/ferry/helper.sock');
    expect(defaultEndpoint('win32')).toBe('\\\\.\\pipe\\ProtectedPrefix\\Administrators\\Ferry\\helper');
    expect(defaultStatePath('darwin')).toBe('/var/run/ferry/state.json');
    expect(defaultStatePath('win32', {})).toBe(
      'C:\\Windows\\System32\\config\\systemprofile\\AppData\\Local\\Ferry\\state.json',
    );
    const { args } = launchDaemon(readRepo('build/mac/com.ferryvpn.helper.plist'));
    const mac = parse(args.slice(2), 'darwin');
    expect(mac.socketPath).toBe(defaultEndpoint('darwin'));
    expect(mac.group).toBe(20);
    expect(platformProblem(mac, 'darwin')).toBeNull();
  });

  it('--pipe, --service, --group SID, --log-file; and what does not fit the OS is refused at start', () => {
    const win = parse(['--pipe', '\\\\.\\pipe\\ferry-test', '--group', 'S-1-5-32-545', '--service'], 'win32');
    expect(win).toMatchObject({
      mode: 'socket',
      socketPath: '\\\\.\\pipe\\ferry-test',
      groupSid: 'S-1-5-32-545',
    });
    expect(win.logFile).toBe(
      'C:\\Windows\\System32\\config\\systemprofile\\AppData\\Local\\Ferry\\helper.log',
    );
    expect(platformProblem(win, 'win32')).toBeNull();
    expect(platformProblem(win, 'linux')).toMatch(/Unix socket/);
    expect(platformProblem(parse(['--socket', '/run/x.sock'], 'win32'), 'win32')).toMatch(/named pipe/);
    expect(platformProblem(parse(['--service'], 'linux'), 'linux')).toMatch(/--service is for Windows/);
    expect(platformProblem(parse(['--group', 'S-1-5-4'], 'darwin'), 'darwin')).toMatch(/SID is for Windows/);
    expect(platformProblem(parse(['--state', 'C:\\x\\s.json'], 'linux'), 'linux')).toMatch(/not an absolute/);
    expect(platformProblem(parse(['--stdio', '--service'], 'win32'), 'win32')).toMatch(/not stdio/);
    expect(parse(['--log-file', '/var/log/ferry.log'], 'linux').logFile).toBe('/var/log/ferry.log');
    for (const bad of [
      ['--pipe', 'ferry-helper'],
      ['--pipe', '\\\\server\\pipe\\x'],
      ['--group', 'S-1-x'],
      ['--log-file', 'relative.log'],
    ])
      expect(parseHelperArgs(bad, groups, 'win32').ok, bad.join(' ')).toBe(false);
  });

  it('the client trusts only pipes under ProtectedPrefix\\Administrators (only administrators create them)', () => {
    expect(verifyHelperPipe(WINDOWS_PIPE)).toEqual({ ok: true, value: undefined });
    expect(verifyHelperEndpoint(WINDOWS_PIPE, 0, 'win32').ok).toBe(true);
    expect(verifyHelperPipe('\\\\.\\pipe\\protectedprefix\\administrators\\Ferry\\helper').ok).toBe(true);
    for (const name of [
      '\\\\.\\pipe\\ferry-helper',
      '\\\\.\\pipe\\ProtectedPrefix\\Administrators\\..\\ferry',
      '\\\\.\\pipe\\ProtectedPrefix\\Administrators\\.\\x',
      '\\\\.\\pipe\\ProtectedPrefix\\Administrators/../x',
      '\\\\.\\pipe\\ProtectedPrefix\\LocalService\\x',
      '/run/ferry/helper.sock',
    ])
      expect(verifyHelperEndpoint(name, 0, 'win32'), name).toMatchObject({
        ok: false,
        error: { kind: 'untrusted' },
      });
    // Elsewhere the same call checks the socket's owner and modes.
    expect(verifyHelperEndpoint('/nonexistent/ferry/helper.sock', 0, 'darwin')).toMatchObject({
      ok: false,
      error: { kind: 'missing' },
    });
  });
});

describe('OS credential structures', () => {
  it('xucred: layout, round trip, refusals', () => {
    const x = { uid: 501, groups: [20, 12, 61, 79, 80, 81, 98, 701, 33, 100, 204, 250, 395, 398, 399, 400] };
    const b = encodeXucred(x);
    expect(b.length).toBe(XUCRED_SIZE);
    expect(b.subarray(0, 16).toString('hex')).toBe(`00000000f5010000${'1000'}0000${'14000000'}`);
    expect(decodeXucred(b)).toEqual({ ok: true, value: x });
    expect(decodeXucred(b.subarray(0, 75))).toMatchObject({ ok: false, error: { code: 'invalid' } });
    const v1 = Buffer.from(b);
    v1.writeUInt32LE(1, 0);
    expect(decodeXucred(v1)).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    const none = Buffer.from(b);
    none.writeInt16LE(0, 8);
    expect(decodeXucred(none).ok).toBe(false);
    fuzzDecoder('xucred', decodeXucred, [b, encodeXucred({ uid: 0, groups: [0] })], {
      check: (v) => expect(decodeXucred(encodeXucred(v))).toEqual({ ok: true, value: v }),
    });
  });

  it('SIDs: MS-DTYP binary form, round trip, high identifier authorities', () => {
    // S-1-5-32-544: revision 1, 2 sub-authorities, authority 5 (big-endian, 6 bytes), 32, 544 (little-endian)
    expect(encodeSid('S-1-5-32-544').toString('hex')).toBe('01020000000000052000000020020000');
    for (const sid of [
      'S-1-5-18',
      'S-1-5-4',
      'S-1-1-0',
      'S-1-5-21-1004336348-1177238915-682003330-1001',
      'S-1-0x000100000000-1',
    ])
      expect(decodeSid(encodeSid(sid))).toEqual({ ok: true, value: sid });
    expect(decodeSid(Buffer.from('0201000000000005120000000000', 'hex')).ok).toBe(false);
    expect(decodeSid(Buffer.from('011000000000000512000000', 'hex'))).toMatchObject({ ok: false });
    fuzzDecoder('sid', decodeSid, [encodeSid('S-1-5-18'), encodeSid('S-1-5-21-1-2-3-1001')], {
      check: (v) => expect(decodeSid(encodeSid(v))).toEqual({ ok: true, value: v }),
    });
  });

  it('TOKEN_USER and TOKEN_GROUPS: pointers resolved against the buffer address, never outside it', () => {
    const base = 0x1d2e3f40000n;
    const user = encodeTokenUser('S-1-5-21-1-2-3-1001', base);
    expect(user.readBigUInt64LE(0)).toBe(base + 16n);
    expect(decodeTokenUser(user, base)).toEqual({ ok: true, value: 'S-1-5-21-1-2-3-1001' });
    expect(decodeTokenUser(user, base + 0x1000n)).toMatchObject({ ok: false, error: { code: 'invalid' } });
    const list = [
      { sid: 'S-1-5-32-545', attributes: 7 },
      { sid: 'S-1-5-4', attributes: 7 },
      { sid: 'S-1-5-32-544', attributes: 0x10 },
    ];
    const g = encodeTokenGroups(list, base);
    expect(decodeTokenGroups(g, base)).toEqual({ ok: true, value: list });
    const lying = Buffer.from(g);
    lying.writeUInt32LE(1000, 0);
    expect(decodeTokenGroups(lying, base)).toMatchObject({ ok: false, error: { code: 'invalid' } });
    fuzzDecoder('token groups', (b) => decodeTokenGroups(b, base), [g, encodeTokenGroups([], base)], {
      iterations: Number(process.env.FUZZ_ITERATIONS ?? 100_000),
    });
    fuzzDecoder('token user', (b) => decodeTokenUser(b, base), [user]);
  });
});
