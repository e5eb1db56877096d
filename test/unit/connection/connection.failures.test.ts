/**
 * Failures of the bring-up and of an established session, each a typed FerryError naming its phase, reached in
 * bounded fake time (FakeClock.run throws on a hang), with every client timer cleared afterwards.
 */
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../core/common/errors';
import { authOptionData } from '../../../core/ppp/auth/methods';
import { encodeControlPacket, encodeFrame } from '../../../core/ppp/frame';
import { encodeOptions, option, u16Option, u32Option } from '../../../core/ppp/options';
import { CODE, PROTO } from '../../../core/ppp/protocol';
import { type LnsMoment, nextState, type World, type WorldOptions, world } from '../../support/fakeLns';
import { expectCleanFailure, failing } from '../../support/fakeLns/failures';

async function connectedWorld(o: WorldOptions = {}): Promise<World> {
  const w = await world({ network: true, ...o });
  const out = await w.connect();
  if (!out.ok) throw out.error;
  return w;
}

describe('wrong password', () => {
  const CASES = [
    { name: 'MS-CHAPv2 (pppd)', o: {} },
    { name: 'MS-CHAPv2 after EAP renegotiation (SoftEther)', o: { server: 'softether' } },
    { name: 'PAP', o: { methods: ['pap'], serverProfile: { authOrder: ['pap'] } } },
    { name: 'CHAP-MD5', o: { methods: ['chap'], serverProfile: { authOrder: ['chap-md5'] } } },
  ] as const satisfies readonly { name: string; o: WorldOptions }[];
  for (const c of CASES) {
    it(`fails in auth with auth-failed: ${c.name}`, async () => {
      const { w, error } = await failing({ ...c.o, password: 'not-the-password' });
      expect(error).toBeInstanceOf(FerryError);
      expect(error).toMatchObject({ phase: 'auth', code: 'auth-failed' });
      expect(w.conn.phases().at(-1)).toMatchObject({ phase: 'auth', result: 'failed' });
      expect(w.lns.pppServer?.authOk).toBe(false);
      await expectCleanFailure(w, error);
    });
  }

  it('maps MS-CHAPv2 E=648 to password-expired', async () => {
    const { w, error } = await failing({ password: 'old', serverProfile: { failureCode: 648 } });
    expect(error).toMatchObject({ phase: 'auth', code: 'password-expired' });
    await expectCleanFailure(w, error);
  });
});

describe('other bring-up refusals', () => {
  it('refuses a server that does not prove it knows the password (MS-CHAPv2 authenticator response)', async () => {
    const { w, error } = await failing({ serverProfile: { badAuthenticator: 'wrong' } });
    expect(error).toMatchObject({ phase: 'auth', code: 'server-not-authenticated' });
    await expectCleanFailure(w, error);
  });

  it('names the methods when the server offers none the profile allows', async () => {
    const { w, error } = await failing({ serverProfile: { authOrder: ['pap'] } });
    expect(error).toMatchObject({ phase: 'auth', code: 'auth-method-unavailable' });
    expect(error.message).toContain('PAP');
    await expectCleanFailure(w, error);
  });

  it('fails IPCP when the server never settles on an address', async () => {
    const { w, error } = await failing({ serverProfile: { nakAddressForever: '10.99.0.77' } });
    expect(error).toMatchObject({ phase: 'ipcp', code: 'ipcp-no-address' });
    await expectCleanFailure(w, error);
  });

  for (const phase of ['ike-phase1', 'quick-mode'] as const) {
    it(`reports the carrier's own failure in ${phase} and sends no L2TP at all`, async () => {
      const { w, error } = await failing({ carrier: { failAt: { phase, code: 'no-proposal-chosen' } } });
      expect(error).toMatchObject({ phase, code: 'no-proposal-chosen' });
      expect(w.conn.phases().at(-1)).toMatchObject({ phase, result: 'failed' });
      expect(w.lns.datagramsIn).toBe(0);
      await expectCleanFailure(w, error);
    });
  }

  it('fails in routes when the OS integration fails, and still restores and tears everything down', async () => {
    const { w, error } = await failing({ network: { failRoutes: true } });
    expect(error).toMatchObject({ phase: 'routes', code: 'route-failed' });
    expect(w.network!.calls.map((c) => c.what)).toEqual(['routes', 'restore']);
    expect(w.lns.received().slice(-3)).toEqual(['LCP Terminate-Request', 'CDN', 'StopCCN']);
    await expectCleanFailure(w, error);
  });
});

describe('the server goes away in the middle of the bring-up', () => {
  // Where it goes silent, and the fake-time bound of the error: the phase's own deadline plus teardown.
  const GONE: Array<{ at: LnsMoment; code: string; within: number }> = [
    { at: 'l2tp-tunnel', code: 'timeout', within: 21_000 },
    { at: 'l2tp-session', code: 'timeout', within: 25_000 },
    { at: 'lcp', code: 'timeout', within: 40_000 },
    { at: 'auth', code: 'timeout', within: 40_000 },
    { at: 'ipcp', code: 'timeout', within: 40_000 },
  ];
  for (const g of GONE) {
    it(`fails in ${g.at} with '${g.code}' in bounded fake time and clears every timer`, async () => {
      const { w, error, at } = await failing({ lns: { goneAt: g.at } });
      expect(error).toMatchObject({ phase: g.at, code: g.code });
      expect(at).toBeLessThanOrEqual(g.within);
      expect(w.lns.gone).toBe(true);
      // Teardown still tried the polite goodbyes the phase allows; the server dropped them.
      expect(w.lns.droppedWhileGone).toBeGreaterThan(0);
      await expectCleanFailure(w, error);
    });
  }

  it('fails on the same phase with short test timeouts (pppPhaseMs, l2tpMs)', async () => {
    const { w, error, at } = await failing({
      lns: { goneAt: 'ipcp' },
      timeouts: { l2tpMs: 5000, pppPhaseMs: 4000, authMs: 4000 },
    });
    expect(error).toMatchObject({ phase: 'ipcp', code: 'timeout' });
    expect(at).toBeLessThan(15_000);
    await expectCleanFailure(w, error);
  });
});

describe('the server hangs up during the bring-up', () => {
  it('a StopCCN in answer to the SCCRQ fails the tunnel with peer-stop at once', async () => {
    const { w, error, at } = await failing({ lns: { hangUpAt: { moment: 'l2tp-tunnel', with: 'stopccn' } } });
    expect(error).toMatchObject({ phase: 'l2tp-tunnel', code: 'peer-stop' });
    expect(error.message).toContain('result 6');
    expect(at).toBeLessThan(1000);
    await expectCleanFailure(w, error);
  });

  it('a CDN in answer to the ICRQ fails the session with peer-disconnect at once', async () => {
    const { w, error, at } = await failing({ lns: { hangUpAt: { moment: 'l2tp-session', with: 'cdn' } } });
    expect(error).toMatchObject({ phase: 'l2tp-session', code: 'peer-disconnect' });
    expect(at).toBeLessThan(1000);
    await expectCleanFailure(w, error);
  });

  it('a StopCCN in answer to the ICRQ fails with the StopCCN as the reason', async () => {
    const { w, error, at } = await failing({
      lns: { hangUpAt: { moment: 'l2tp-session', with: 'stopccn' } },
    });
    expect(error).toMatchObject({ phase: 'l2tp-tunnel', code: 'peer-stop' });
    expect(error.message).toContain('StopCCN');
    expect(at).toBeLessThan(1000);
    await expectCleanFailure(w, error);
  });

  for (const moment of ['lcp', 'auth', 'ipcp'] as const) {
    for (const how of ['cdn', 'stopccn'] as const) {
      it(`a ${how === 'cdn' ? 'CDN' : 'StopCCN'} during ${moment} fails at once with the server's reason`, async () => {
        const { error, at } = await failing({ lns: { hangUpAt: { moment, with: how } } });
        expect(['peer-disconnect', 'peer-stop', 'tunnel-closed']).toContain(error.code);
        expect(at).toBeLessThan(5000);
      });
    }
  }

  it('a CDN during auth still ends in a typed failure in bounded time with no timer left', async () => {
    const { w, error, at } = await failing({ lns: { hangUpAt: { moment: 'auth', with: 'cdn' } } });
    expect(['auth', 'l2tp-session', 'l2tp-tunnel']).toContain(error.phase);
    expect(at).toBeLessThan(40_000);
    await expectCleanFailure(w, error);
  });

  it('a carrier failure during the bring-up fails the connection at once with the carrier error', async () => {
    const w = await world();
    void nextState(w.conn, (s) => s.kind === 'connecting' && s.phase === 'lcp').then(() =>
      w.carrier.fail(
        new FerryError({
          phase: 'established',
          code: 'dpd-timeout',
          message: 'peer dead',
          hint: 'reconnect',
        }),
      ),
    );
    const out = await w.connect();
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error.code).toBe('dpd-timeout');
    expect(out.at).toBeLessThan(5000);
  });
});

describe('an established session ends from the server side', () => {
  const CASES: Array<{ name: string; act: (w: World) => void; code: string }> = [
    { name: 'StopCCN', act: (w) => w.lns.sendStopCcn(), code: 'peer-stop' },
    { name: 'CDN', act: (w) => w.lns.sendCdn(), code: 'peer-disconnect' },
    { name: 'LCP Terminate-Request', act: (w) => w.lns.terminatePpp('admin kick'), code: 'peer-terminated' },
    {
      name: 'carrier failure',
      act: (w) =>
        w.carrier.fail(
          new FerryError({
            phase: 'established',
            code: 'dpd-timeout',
            message: 'no DPD answer',
            hint: 'reconnect',
          }),
        ),
      code: 'dpd-timeout',
    },
  ];
  for (const c of CASES) {
    it(`${c.name} → failed{phase: 'established', code: '${c.code}'}, network restored, no timer left`, async () => {
      const w = await connectedWorld();
      const failed = nextState(w.conn, (s) => s.kind === 'failed');
      c.act(w);
      await w.clock.run(failed, 30_000);
      // Let the (possibly duplicated) failed state settle.
      await w.clock.advance(100);
      expect(w.conn.state).toMatchObject({ kind: 'failed', phase: 'established', code: c.code });
      expect(w.network!.calls.at(-1)?.what).toBe('restore');
      expect(w.carrier.closed).toBe(1);
      expect(w.clientClock.pending).toBe(0);
      expect(await w.quiesce()).toBe(0);
    });
  }

  it('a dead carrier fails the connection at once: no PPP or L2TP goodbyes into the void', async () => {
    const w = await connectedWorld();
    const sentBefore = w.lns.received().length;
    const t0 = w.clock.now();
    const failed = nextState(w.conn, (s) => s.kind === 'failed');
    // The fake path still works, so any goodbye the client sent would show up at the server.
    w.carrier.fail(
      new FerryError({
        phase: 'established',
        code: 'dead-peer',
        message: 'no DPD answer',
        hint: 'reconnect',
      }),
    );
    await w.clock.run(failed, 30_000);
    expect(w.clock.now() - t0).toBeLessThan(500);
    expect(
      w.lns
        .received()
        .slice(sentBefore)
        .filter((x) => /Terminate|CDN|StopCCN/.test(x)),
    ).toEqual([]);
    expect(w.clientClock.pending).toBe(0);
  });

  it('a server that silently vanishes is detected by the L2TP keepalive (HELLO retry limit) in bounded time', async () => {
    const w = await connectedWorld();
    const t0 = w.clock.now();
    w.lns.goAway();
    await w.clock.run(
      nextState(w.conn, (s) => s.kind === 'failed'),
      300_000,
    );
    await w.clock.advance(100);
    expect(w.conn.state).toMatchObject({ kind: 'failed', phase: 'established', code: 'retry-limit' });
    // 30 s of silence before the HELLO, then its retransmissions (§5.8) and the teardown deadlines.
    expect(w.clock.now() - t0).toBeLessThan(120_000);
    expect(w.clientClock.pending).toBe(0);
  });

  it('a StopCCN after connect emits exactly one failed state, naming the StopCCN', async () => {
    const w = await connectedWorld();
    w.lns.sendStopCcn();
    await w.clock.advance(10_000);
    const failed = w.states.filter((s) => s.kind === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ phase: 'established', code: 'peer-stop' });
  });

  it('an LCP renegotiation by the server after connect never sends the state back to connecting', async () => {
    const w = await connectedWorld();
    const options = [u16Option(1, 1400), option(3, authOptionData('mschapv2')), u32Option(5, 0x01020304)];
    const request = encodeControlPacket({
      code: CODE.CONFIGURE_REQUEST,
      id: 200,
      data: encodeOptions(options),
    });
    expect(w.lns.sendPppFrame(encodeFrame(PROTO.LCP, request))).toBe(true);
    await w.clock.advance(120_000);
    expect(
      w.states.slice(w.states.findIndex((x) => x.kind === 'connected')).map((x) => x.kind),
    ).not.toContain('connecting');
    expect(['connected', 'failed']).toContain(w.conn.state.kind);
    await w.clock.run(w.conn.disconnect(), 30_000);
    expect(['disconnected', 'failed']).toContain(w.conn.state.kind);
  });

  it('after a renegotiation by the server, disconnect() still tears the tunnel down and leaves no timer', async () => {
    const w = await connectedWorld();
    const options = [u16Option(1, 1400), option(3, authOptionData('mschapv2'))];
    const request = encodeControlPacket({
      code: CODE.CONFIGURE_REQUEST,
      id: 201,
      data: encodeOptions(options),
    });
    w.lns.sendPppFrame(encodeFrame(PROTO.LCP, request));
    await w.clock.advance(120_000);
    await w.clock.run(w.conn.disconnect(), 30_000);
    expect(w.lns.received().slice(-2)).toEqual(['CDN', 'StopCCN']);
    expect(w.network!.calls.at(-1)?.what).toBe('restore');
    expect(w.clientClock.pending).toBe(0);
  });
});
