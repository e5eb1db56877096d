/**
 * PppLink.lowerDown (RFC 1661 §4.1 Down): the L2TP call under the link is gone. Whatever the link was doing, it
 * ends now, sends nothing more, leaves no timer, and reports the error that ended it exactly once.
 */
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../core/common/errors';
import { AppendedCode } from '../../../core/ppp';
import { decodeControlPacket, decodeFrame } from '../../../core/ppp/frame';
import { CODE, PROTO } from '../../../core/ppp/protocol';
import { PASSWORD, pppd, type Session, session, USER } from './linkHarness';

const CDN = new FerryError({
  phase: 'l2tp-session',
  code: 'peer-disconnect',
  message: 'server sent CDN: result 3 (administrative)',
  hint: 'the server ended the L2TP session',
});

/** What the link sent from wire-log index `from` on, as 'LCP Terminate-Request', 'PAP 1' … */
function sentFrom(s: Session, from: number): string[] {
  return s.wire.log.slice(from).flatMap(({ from: who, frame }) => {
    if (who !== 'a') return [];
    const f = decodeFrame(frame);
    if (!f.ok) return ['?'];
    const p = decodeControlPacket(f.value.payload);
    const code = p.ok ? p.value.code : -1;
    if (f.value.protocol === PROTO.LCP && code === CODE.TERMINATE_REQUEST) return ['LCP Terminate-Request'];
    if (f.value.protocol === PROTO.LCP && code === CODE.TERMINATE_ACK) return ['LCP Terminate-Ack'];
    return [`${f.value.protocol.toString(16)} ${code}`];
  });
}

/** A SoftEther-like server that hangs up on the wrong code appended to the password. */
const wrongCode = () =>
  session(pppd({ authOrder: ['pap'], password: `${PASSWORD},123456`, papHangUp: true }), {
    authMethods: ['pap'],
    mfa: { kind: 'otp-append' },
    credentials: { username: USER, password: PASSWORD, appendedCode: new AppendedCode('000000', ',') },
  });

describe('PppLink.lowerDown', () => {
  it('an open link fails with the cause at once: one down event, no goodbye, no timer', async () => {
    const s = await session(pppd());
    expect(s.link.state).toBe('opened');
    const downs: (FerryError | null)[] = [];
    s.link.events.on('down', (e) => downs.push(e));
    const mark = s.wire.log.length;
    s.link.lowerDown(CDN);
    s.link.lowerDown(CDN);
    expect(s.link.state).toBe('failed');
    expect(downs).toEqual([CDN]);
    expect(sentFrom(s, mark)).toEqual([]);
    expect(s.clock.pendingTimers).toBe(0);
    await s.link.close(); // resolves at once: nothing left to wait for
  });

  it('a link still authenticating rejects start() with the cause and sends no Terminate-Request', async () => {
    const s = await session(pppd({ silentAuth: true }));
    expect(s.link.state).toBe('authenticate');
    const mark = s.wire.log.length;
    s.link.lowerDown(CDN);
    await s.run(100);
    expect(s.outcome()?.error).toBe(CDN);
    expect(sentFrom(s, mark)).toEqual([]);
    expect(s.clock.pendingTimers).toBe(0);
  });

  it("after the server's Terminate-Request it ends the §4.4 wait at once and keeps mfa-rejected", async () => {
    const s = await wrongCode();
    // session() ran 2 s: the Terminate-Request came and was acknowledged; the restart period is still running.
    expect(s.outcome()?.error).toMatchObject({ phase: 'auth', code: 'mfa-rejected' });
    expect(sentFrom(s, 0)).toContain('LCP Terminate-Ack');
    expect(s.link.state).toBe('failed');
    expect(s.clock.pendingTimers).toBeGreaterThan(0);
    let closed = false;
    void s.link.close().then(() => {
      closed = true;
    });
    await s.run(100);
    expect(closed).toBe(false);
    const mark = s.wire.log.length;
    s.link.lowerDown(CDN);
    await s.run(100);
    expect(closed).toBe(true);
    expect(s.outcome()?.error).toMatchObject({ code: 'mfa-rejected' });
    expect(sentFrom(s, mark)).toEqual([]);
    expect(s.clock.pendingTimers).toBe(0);
  });

  it('without it the same link waits out the restart period, then ends by itself', async () => {
    const s = await wrongCode();
    let closed = false;
    void s.link.close().then(() => {
      closed = true;
    });
    await s.run(500);
    expect(closed).toBe(false);
    await s.run(3000);
    expect(closed).toBe(true);
    expect(s.clock.pendingTimers).toBe(0);
  });

  it('a user close waiting for the Terminate-Ack ends when the call is cleared instead', async () => {
    const s = await session(pppd());
    s.wire.filter = (from) => (from === 'b' ? 0 : 1); // the server stops answering
    let closed = false;
    void s.link.close().then(() => {
      closed = true;
    });
    await s.run(500);
    expect(closed).toBe(false);
    expect(s.link.state).toBe('closing');
    s.link.lowerDown(CDN);
    await s.run(100);
    expect(closed).toBe(true);
    expect(s.link.state).toBe('closed');
    expect(s.clock.pendingTimers).toBe(0);
  });
});
