/**
 * The server hangs up under PPP (Ferry issue 7 follow-up): when the L2TP call or tunnel is cleared (CDN, StopCCN —
 * RFC 2661 §5.7) or the carrier dies, PPP ends at once (RFC 1661 §4.1 Down) instead of waiting out its restart
 * period, and the typed error stays the one the first failing layer gave: `mfa-rejected` for SoftEther's
 * Terminate-Request on a wrong code, the L2TP error when the server cleared the call without a word. A
 * Terminate-Request with nothing after it still gets the restart period (§4.4 Stopping: time for our Ack).
 */
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../core/common/errors';
import { DEFAULT_NEGOTIATION } from '../../../core/ppp/optionTable';
import {
  type LnsRecord,
  PASSWORD,
  settledKinds,
  type World,
  type WorldOptions,
  world,
} from '../../support/fakeLns';
import { expectCleanFailure, failing } from '../../support/fakeLns/failures';

const OTP = '482913';
const WRONG = '000000';
const RESTART_MS = DEFAULT_NEGOTIATION.restartMs;
/** Teardown after the server cleared the call: StopCCN/ZLB and carrier close over 10 ms paths. */
const PROMPT_MS = 200;

/** SoftEther with PAP only: no Authenticate-Nak for a wrong password, an LCP Terminate-Request instead. */
const softEtherPap = (o: WorldOptions & { otp?: string } = {}): WorldOptions => ({
  server: 'softether',
  methods: ['pap'],
  profile: { mfa: { mode: 'otp-append', separator: ',' } },
  serverProfile: { authOrder: ['pap'], password: `${PASSWORD},${OTP}`, papHangUp: true },
  otp: WRONG,
  ...o,
});

/** Fake time of the first record matching `what` (and `dir`), or a test failure. */
function when(w: World, what: string, dir: LnsRecord['dir'] = 'out'): number {
  const r = w.lns.records.find((x) => x.dir === dir && x.what === what);
  if (!r) throw new Error(`the server never recorded ${dir} ${what}: ${JSON.stringify(w.lns.records)}`);
  return r.at;
}

/** PPP frames the client sent after fake time `t`. */
const pppInAfter = (w: World, t: number): string[] =>
  w.lns.records.filter((r) => r.dir === 'in' && r.layer === 'ppp' && r.at > t).map((r) => r.what);

/** One failed state with the rejection's error, nothing running, no timer left, the carrier closed once. */
async function expectSettled(w: World, error: FerryError): Promise<void> {
  await expectCleanFailure(w, error);
  expect(w.carrier.closed).toBe(1);
}

describe('the server ends PPP on a rejected code, then clears the call (SoftEther)', () => {
  for (const how of ['cdn', 'stopccn'] as const) {
    it(`Terminate-Request then ${how === 'cdn' ? 'CDN' : 'StopCCN'}: mfa-rejected as soon as the call is cleared`, async () => {
      const { w, error, at } = await failing(
        softEtherPap({ lns: { clearAfterPppEnds: { with: how, afterMs: 50 } } }),
      );
      expect(error).toMatchObject({ phase: 'auth', code: 'mfa-rejected' });
      const hungUp = when(w, 'LCP Terminate-Request');
      const cleared = when(w, how === 'cdn' ? 'CDN' : 'StopCCN');
      expect(cleared - hungUp).toBe(50);
      // RFC 1661 §5.2: the Terminate-Request is acknowledged, and nothing else of PPP follows the hang-up.
      expect(pppInAfter(w, hungUp)).toEqual(['LCP Terminate-Ack']);
      // Settled right after the clearing, not after PPP's restart period.
      expect(at - cleared).toBeLessThan(PROMPT_MS);
      expect(at - hungUp).toBeLessThan(RESTART_MS / 4);
      await expectSettled(w, error);
    });
  }

  it('the CDN in the same instant as the Terminate-Request does not replace mfa-rejected', async () => {
    const { w, error, at } = await failing(
      softEtherPap({ lns: { clearAfterPppEnds: { with: 'cdn', afterMs: 0 } } }),
    );
    expect(error).toMatchObject({ phase: 'auth', code: 'mfa-rejected' });
    expect(at - when(w, 'LCP Terminate-Request')).toBeLessThan(PROMPT_MS);
    await expectSettled(w, error);
  });

  it('without MFA the same hang-up keeps its own error (peer-terminated in auth), just as fast', async () => {
    const { w, error, at } = await failing(
      softEtherPap({
        profile: {},
        otp: undefined,
        password: 'not-the-password',
        serverProfile: { authOrder: ['pap'], papHangUp: true },
        lns: { clearAfterPppEnds: { with: 'cdn', afterMs: 20 } },
      }),
    );
    expect(error).toMatchObject({ phase: 'auth', code: 'peer-terminated' });
    expect(at - when(w, 'CDN')).toBeLessThan(PROMPT_MS);
    await expectSettled(w, error);
  });

  it('push MFA: a hang-up without an approval is push-rejected, just as fast', async () => {
    const { w, error, at } = await failing(
      softEtherPap({
        profile: { mfa: { mode: 'push', timeoutSeconds: 60 } },
        otp: undefined,
        password: 'not-the-password',
        serverProfile: { authOrder: ['pap'], papHangUp: true },
        lns: { clearAfterPppEnds: { with: 'cdn', afterMs: 20 } },
      }),
    );
    expect(error).toMatchObject({ phase: 'auth', code: 'push-rejected' });
    expect(at - when(w, 'CDN')).toBeLessThan(PROMPT_MS);
    await expectSettled(w, error);
  });

  it('a Terminate-Request with no CDN after it still waits one restart period for the Ack to land (§4.4)', async () => {
    const { w, error, at } = await failing(softEtherPap());
    expect(error).toMatchObject({ phase: 'auth', code: 'mfa-rejected' });
    const hungUp = when(w, 'LCP Terminate-Request');
    expect(pppInAfter(w, hungUp)).toEqual(['LCP Terminate-Ack']);
    expect(at - hungUp).toBeGreaterThanOrEqual(RESTART_MS);
    expect(at - hungUp).toBeLessThan(RESTART_MS + PROMPT_MS);
    // Our teardown clears the call itself afterwards (CDN, StopCCN), as before.
    expect(w.lns.received('l2tp')).toEqual(expect.arrayContaining(['CDN', 'StopCCN']));
    await expectSettled(w, error);
  });

  it('the carrier dying while PPP waits out that restart period ends it at once; mfa-rejected stays', async () => {
    const w = await world(softEtherPap());
    w.conn.events.on('phase', (t) => {
      if (t.find((p) => p.phase === 'auth')?.result !== 'failed') return;
      w.clock.setTimeout(
        () =>
          w.carrier.fail(
            new FerryError({
              phase: 'established',
              code: 'dpd-timeout',
              message: 'peer dead',
              hint: 'reconnect',
            }),
          ),
        50,
      );
    });
    const out = await w.connect();
    expect(!out.ok && out.error).toMatchObject({ phase: 'auth', code: 'mfa-rejected' });
    expect(out.at - when(w, 'LCP Terminate-Request')).toBeLessThan(PROMPT_MS);
    expect(w.clientClock.pending).toBe(0);
    expect(settledKinds(w.states)).toEqual(['failed']);
    expect(await w.quiesce()).toBe(0);
  });
});

describe('the server clears the call during authentication without a PPP word', () => {
  const CASES = [
    { how: 'cdn', phase: 'l2tp-session', code: 'peer-disconnect' },
    { how: 'stopccn', phase: 'l2tp-tunnel', code: 'peer-stop' },
  ] as const;
  for (const c of CASES) {
    for (const mfa of [false, true]) {
      it(`${c.how === 'cdn' ? 'CDN' : 'StopCCN'} during auth${mfa ? ' (one-time code sent)' : ''}: ${c.code} at once, no Terminate-Request into the cleared call`, async () => {
        const o: WorldOptions = { lns: { hangUpAt: { moment: 'auth', with: c.how } } };
        const { w, error, at } = await failing(mfa ? softEtherPap({ ...o, otp: OTP }) : o);
        // The server said nothing about the credentials or the code: its own reason is the error (as before).
        expect(error).toMatchObject({ phase: c.phase, code: c.code });
        const cleared = when(w, c.how === 'cdn' ? 'CDN' : 'StopCCN');
        expect(at - cleared).toBeLessThan(PROMPT_MS);
        expect(pppInAfter(w, cleared)).not.toContain('LCP Terminate-Request');
        await expectSettled(w, error);
      });
    }
  }
});

describe('unchanged', () => {
  it('a user disconnect still says goodbye top down: LCP Terminate, CDN, StopCCN, then disconnected', async () => {
    const w = await world({ network: true });
    const out = await w.connect();
    if (!out.ok) throw out.error;
    const t0 = w.clock.now();
    await w.clock.run(w.conn.disconnect(), 30_000);
    const after = w.lns.records.filter((r) => r.dir === 'in' && r.at >= t0 && r.what !== 'ZLB');
    expect(after.map((r) => r.what)).toEqual(['LCP Terminate-Request', 'CDN', 'StopCCN']);
    expect(w.lns.sent('ppp').at(-1)).toBe('LCP Terminate-Ack');
    expect(settledKinds(w.states)).toEqual(['connected', 'disconnecting', 'disconnected']);
    expect(w.conn.state).toEqual({ kind: 'disconnected', reason: 'user' });
    expect(w.network!.calls.at(-1)?.what).toBe('restore');
    expect(w.clientClock.pending).toBe(0);
    expect(await w.quiesce()).toBe(0);
  });

  it('a CDN on an established session fails it (established, peer-disconnect) without PPP goodbyes', async () => {
    const w = await world({ network: true });
    const out = await w.connect();
    if (!out.ok) throw out.error;
    const t0 = w.clock.now();
    w.lns.sendCdn();
    await w.clock.advance(PROMPT_MS);
    expect(w.conn.state).toMatchObject({ kind: 'failed', phase: 'established', code: 'peer-disconnect' });
    expect(settledKinds(w.states)).toEqual(['connected', 'failed']);
    expect(pppInAfter(w, t0)).toEqual([]);
    expect(w.network!.calls.at(-1)?.what).toBe('restore');
    expect(w.clientClock.pending).toBe(0);
    expect(await w.quiesce()).toBe(0);
  });
});
