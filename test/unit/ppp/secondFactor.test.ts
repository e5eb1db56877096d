/**
 * SPEC §3 MFA in the PPP layer: the one-shot appended code, the PAP request built once and zeroed after use,
 * authentication timers that follow the MFA mode (a push wait of 90 s on a fake clock), and refusals turned into
 * typed MFA errors (mfa-rejected, push-rejected, push-timeout) — from PAP Naks and from servers that hang up.
 */
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../core/common/errors';
import { silentLogger } from '../../../core/common/log';
import { AppendedCode } from '../../../core/ppp/auth/appendedCode';
import { PapClient } from '../../../core/ppp/auth/pap';
import {
  decodePapPacket,
  encodePapReply,
  encodePapRequest,
  encodePapRequestParts,
  PAP_CODE,
} from '../../../core/ppp/auth/papPacket';
import type { AuthContext, AuthSuccess } from '../../../core/ppp/auth/types';
import { loadLegacyPrimitives } from '../../../core/ppp/crypto/legacy';
import {
  AUTH_TIMEOUT_MS,
  authTimers,
  PAP_RETRANSMIT_MS,
  PUSH_GRACE_MS,
  PUSH_PAP_RETRANSMIT_MS,
  secondFactorFailure,
} from '../../../core/ppp/secondFactor';
import { FakeClock } from './helpers';
import { PASSWORD, pppd, session, USER } from './linkHarness';

const CODE = '492817';
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const err = (code: string, phase: 'auth' | 'lcp' = 'auth') =>
  new FerryError({ phase, code, message: `cause ${code}`, hint: 'h' });

describe('AppendedCode', () => {
  it('hands out "<separator><code>" once, then nothing; never prints itself', () => {
    const c = new AppendedCode(CODE, ',');
    expect(c.spent).toBe(false);
    expect(JSON.stringify({ c })).toBe('{"c":"[one-time code]"}');
    expect(String(c)).toBe('[one-time code]');
    const taken = c.take();
    expect(Buffer.from(taken!).toString()).toBe(`,${CODE}`);
    expect(c.spent).toBe(true);
    expect(c.take()).toBeNull();
  });

  it('wipe() zeroes an unused code and spends it', () => {
    const c = new AppendedCode(CODE);
    c.wipe();
    expect(c.spent).toBe(true);
    expect(c.take()).toBeNull();
  });
});

describe('encodePapRequestParts', () => {
  it('equals encodePapRequest of the concatenated password and decodes back (RFC 1334 §2.2.1)', () => {
    const parts = [ascii(PASSWORD), ascii(','), ascii(CODE)];
    const a = encodePapRequestParts(7, ascii(USER), parts);
    expect(a).toEqual(encodePapRequest(7, ascii(USER), ascii(`${PASSWORD},${CODE}`)));
    const d = decodePapPacket(a);
    if (!d.ok || d.value.code !== PAP_CODE.REQUEST) throw new Error('not a request');
    expect(Buffer.from(d.value.password).toString()).toBe(`${PASSWORD},${CODE}`);
    expect(d.value.id).toBe(7);
  });

  it('refuses a password over 255 bytes in total', () => {
    expect(() => encodePapRequestParts(1, ascii(USER), [new Uint8Array(200), new Uint8Array(56)])).toThrow(
      RangeError,
    );
  });
});

function papContext(appendedCode?: AppendedCode, retransmitMs = 3000) {
  const clock = new FakeClock();
  const sent: Uint8Array[] = [];
  const result: { ok?: AuthSuccess; err?: FerryError } = {};
  const ctx: AuthContext = {
    credentials: { username: USER, password: PASSWORD, ...(appendedCode ? { appendedCode } : {}) },
    allowed: ['pap'],
    primitives: undefined as never,
    random: (n) => new Uint8Array(n),
    clock,
    logger: silentLogger,
    papRetransmitMs: retransmitMs,
    send: (p) => sent.push(p),
    succeeded: (r) => {
      result.ok = r;
    },
    failed: (e) => {
      result.err = e;
    },
  };
  return { ctx, clock, sent, result };
}

const passwordOf = (req: Uint8Array) => {
  const d = decodePapPacket(req.slice());
  if (!d.ok || d.value.code !== PAP_CODE.REQUEST) throw new Error('not a request');
  return Buffer.from(d.value.password).toString();
};

describe('PapClient with an appended one-time code', () => {
  it('sends "<password><separator><code>", retransmits with new Identifiers, and zeroes the request on Ack', () => {
    const code = new AppendedCode(CODE, ',');
    const { ctx, clock, sent, result } = papContext(code);
    const pap = new PapClient(ctx);
    pap.start();
    expect(code.spent).toBe(true);
    expect(passwordOf(sent[0]!)).toBe(`${PASSWORD},${CODE}`);
    const firstId = sent[0]![1];
    clock.advanceSync(3000);
    // The same buffer is resent (nothing rebuilds the secret), now with the next Identifier.
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBe(sent[0]);
    expect(sent[0]![1]).toBe((firstId! + 1) & 0xff);
    pap.receive(encodePapReply(2, firstId!, ascii('Welcome')));
    expect(result.ok).toEqual({ method: 'pap', message: 'Welcome' });
    expect([...sent[0]!].every((b) => b === 0)).toBe(true);
    clock.advanceSync(10_000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('zeroes the request on Nak and when stopped; masks code-like digits in the server text', () => {
    const a = papContext(new AppendedCode(CODE, ','));
    const pap = new PapClient(a.ctx);
    pap.start();
    pap.receive(encodePapReply(3, a.sent[0]![1]!, ascii(`bad ${PASSWORD},${CODE} (try 12345)`)));
    expect(a.result.err?.code).toBe('auth-failed');
    expect(a.result.err?.message).toContain('[digits]');
    expect(a.result.err?.message).toContain('12345');
    expect(a.result.err?.message).not.toContain(CODE);
    expect([...a.sent[0]!].every((b) => b === 0)).toBe(true);

    const b = papContext(new AppendedCode(CODE));
    const pap2 = new PapClient(b.ctx);
    pap2.start();
    pap2.stop();
    expect([...b.sent[0]!].every((x) => x === 0)).toBe(true);
  });

  it('a second PAP exchange with the spent code sends nothing and fails mfa-rejected (re-prompt)', () => {
    const code = new AppendedCode(CODE);
    new PapClient(papContext(code).ctx).start();
    const again = papContext(code);
    new PapClient(again.ctx).start();
    expect(again.sent).toHaveLength(0);
    expect(again.result.err).toMatchObject({ phase: 'auth', code: 'mfa-rejected' });
  });
});

describe('authTimers follow the MFA mode', () => {
  it('defaults without MFA and for an appended code; a push waits its window plus a grace', () => {
    expect(authTimers()).toEqual({ authTimeoutMs: AUTH_TIMEOUT_MS, papRetransmitMs: PAP_RETRANSMIT_MS });
    expect(authTimers({ kind: 'otp-append' })).toEqual(authTimers());
    expect(authTimers({ kind: 'push', approvalMs: 60_000 })).toEqual({
      authTimeoutMs: 60_000 + PUSH_GRACE_MS,
      papRetransmitMs: PUSH_PAP_RETRANSMIT_MS,
    });
    expect(authTimers({ kind: 'push', approvalMs: 300_000 }).authTimeoutMs).toBe(310_000);
    // Never shorter than the plain authentication deadline.
    expect(authTimers({ kind: 'push', approvalMs: 10_000 }).authTimeoutMs).toBe(AUTH_TIMEOUT_MS);
  });
});

describe('secondFactorFailure', () => {
  const push = { kind: 'push', approvalMs: 60_000 } as const;
  const otp = { kind: 'otp-append' } as const;
  it.each([
    [otp, 'auth-failed', 'mfa-rejected'],
    [otp, 'peer-terminated', 'mfa-rejected'],
    [otp, 'timeout', 'timeout'],
    [otp, 'password-expired', 'password-expired'],
    [push, 'auth-failed', 'push-rejected'],
    [push, 'peer-terminated', 'push-rejected'],
    [push, 'timeout', 'push-timeout'],
    [push, 'account-disabled', 'account-disabled'],
  ] as const)('%o + %s → %s', (mfa, cause, expected) => {
    const original = err(cause);
    const e = secondFactorFailure(mfa, original, 42_400);
    expect(e.code).toBe(expected);
    expect(e.phase).toBe('auth');
    if (expected === cause) expect(e).toBe(original);
    else expect(e.hint.length).toBeGreaterThan(10);
  });

  it('says how long the push waited, and leaves failures outside authentication alone', () => {
    expect(
      secondFactorFailure({ kind: 'push', approvalMs: 60_000 }, err('auth-failed'), 15_100).message,
    ).toMatch(/after 15 s/);
    const lcp = err('timeout', 'lcp');
    expect(secondFactorFailure({ kind: 'push', approvalMs: 60_000 }, lcp, 1)).toBe(lcp);
  });
});

describe('PppLink with MFA (fake server, fake clock)', () => {
  it('push: tolerates a 90 s approval (window 120 s), PAP repeated every 5 s meanwhile', async () => {
    const primitives = await loadLegacyPrimitives();
    let holding = true;
    let papRequests = 0;
    const s = await session(
      pppd({ authOrder: ['pap'] }),
      { authMethods: ['pap'], mfa: { kind: 'push', approvalMs: 120_000 }, primitives },
      PASSWORD,
      (from, frame) => {
        // The server holds its answer: client PAP requests are counted and kept back until approval.
        if (from === 'a' && frame[2] === 0xc0 && frame[3] === 0x23) {
          papRequests++;
          return holding ? 0 : 1;
        }
        return 1;
      },
    );
    await s.run(89_000, 500);
    expect(s.outcome()).toBeUndefined();
    expect(s.link.state).toBe('authenticate');
    expect(papRequests).toBeGreaterThanOrEqual(17);
    expect(papRequests).toBeLessThanOrEqual(19);
    holding = false;
    await s.run(6000, 500);
    expect(s.outcome()?.info?.authMethod).toBe('pap');
  });

  it('push: no verdict → push-timeout when the window plus the grace has passed', async () => {
    const s = await session(
      pppd({ authOrder: ['pap'] }),
      { authMethods: ['pap'], mfa: { kind: 'push', approvalMs: 60_000 } },
      PASSWORD,
      (from, frame) => (from === 'a' && frame[2] === 0xc0 && frame[3] === 0x23 ? 0 : 1),
    );
    // session() already ran 2 s; authentication began within its first few hundred ms.
    await s.run(67_000, 500);
    expect(s.outcome()).toBeUndefined();
    await s.run(3000, 500);
    expect(s.outcome()?.error).toMatchObject({ phase: 'auth', code: 'push-timeout' });
    expect(s.outcome()?.error?.message).toMatch(/within 70 s/);
  });

  it('otp-append: a server that hangs up on the wrong code (SoftEther) gives mfa-rejected', async () => {
    const code = new AppendedCode('000000', ',');
    const s = await session(pppd({ authOrder: ['pap'], password: `${PASSWORD},${CODE}`, papHangUp: true }), {
      authMethods: ['pap'],
      mfa: { kind: 'otp-append' },
      credentials: { username: USER, password: PASSWORD, appendedCode: code },
    });
    await s.run(5000);
    expect(s.outcome()?.error).toMatchObject({ phase: 'auth', code: 'mfa-rejected' });
    expect(s.outcome()?.error?.message).toMatch(/hung up/);
    expect(code.spent).toBe(true);
  });

  it('otp-append: the right code connects; a code never used is wiped when the link ends', async () => {
    const ok = await session(pppd({ authOrder: ['pap'], password: `${PASSWORD},${CODE}` }), {
      authMethods: ['pap'],
      mfa: { kind: 'otp-append' },
      credentials: { username: USER, password: PASSWORD, appendedCode: new AppendedCode(CODE, ',') },
    });
    await ok.run(3000);
    expect(ok.outcome()?.info?.authMethod).toBe('pap');

    const unused = new AppendedCode(CODE, ',');
    const dead = await session(pppd({ silent: true }), {
      authMethods: ['pap'],
      mfa: { kind: 'otp-append' },
      credentials: { username: USER, password: PASSWORD, appendedCode: unused },
      lcpTimeoutMs: 5000,
    });
    await dead.run(10_000);
    expect(dead.outcome()?.error?.phase).toBe('lcp');
    await dead.run(5000);
    expect(unused.spent).toBe(true);
  });
});
