/**
 * disconnect() while connecting, at every phase: connect() rejects with 'cancelled' naming the phase, the state
 * settles on disconnected{user} promptly, whatever was up is torn down politely, and no timer is left.
 */
import { describe, expect, it } from 'vitest';
import { CONNECT_PHASES, type ConnectPhase, FerryError } from '../../../core/common/errors';
import {
  collectUnhandledRejections,
  nextState,
  settledKinds,
  type World,
  type WorldOptions,
  world,
} from '../../support/fakeLns';

/** Every phase lasts long enough to be interrupted: IKE 100 ms each, auth held 1 s, OS calls 100 ms each. */
const SLOW_PHASES: WorldOptions = {
  carrier: { ikeMs: 100 },
  lns: { authDelayMs: 1000 },
  network: { delayMs: 100 },
};

/** What the LNS must have received last, by the phase the client was in when the user cancelled. */
const GOODBYES: Record<ConnectPhase, string[]> = {
  'ike-phase1': [],
  'quick-mode': [],
  'l2tp-tunnel': [], // no SCCRP yet: nothing to address a StopCCN to (§6.4)
  'l2tp-session': ['CDN', 'StopCCN'],
  lcp: ['LCP Terminate-Request', 'CDN', 'StopCCN'],
  auth: ['LCP Terminate-Request', 'CDN', 'StopCCN'],
  ipcp: ['LCP Terminate-Request', 'CDN', 'StopCCN'],
  routes: ['LCP Terminate-Request', 'CDN', 'StopCCN'],
  dns: ['LCP Terminate-Request', 'CDN', 'StopCCN'],
};

/** Calls disconnect() on the next clock step after the connection announces `phase` (as a UI click would). */
function disconnectDuring(w: World, phase: ConnectPhase): { done: () => Promise<void>; at: () => number } {
  let call: Promise<void> | null = null;
  let at = -1;
  void nextState(w.conn, (s) => s.kind === 'connecting' && s.phase === phase).then(() => {
    w.clock.setTimeout(() => {
      at = w.clock.now();
      call = w.conn.disconnect();
    }, 0);
  });
  return {
    done: async () => {
      if (!call) throw new Error(`disconnect() was never called: phase ${phase} not reached`);
      await w.clock.run(call, 30_000);
    },
    at: () => at,
  };
}

describe('disconnect() while connecting', () => {
  for (const phase of CONNECT_PHASES) {
    it(`during ${phase}: connect() rejects 'cancelled', state disconnected{user}, goodbyes sent, no timer left`, async () => {
      const w = await world(SLOW_PHASES);
      const d = disconnectDuring(w, phase);
      const out = await w.connect();
      await d.done();
      expect(out.ok).toBe(false);
      const error = !out.ok ? out.error : null;
      expect(error).toBeInstanceOf(FerryError);
      expect(error).toMatchObject({ phase, code: 'cancelled' });
      expect(w.conn.state).toEqual({ kind: 'disconnected', reason: 'user' });
      expect(settledKinds(w.states)).toEqual(['disconnected']);
      // Promptly: the live server acknowledges each goodbye within a round trip (plus one delayed ZLB).
      expect(w.clock.now() - d.at()).toBeLessThan(1000);
      // PPP ends its own phases (detail: the PPP state it was in); the orchestrator marks the others 'cancelled'.
      const isPpp = phase === 'lcp' || phase === 'auth' || phase === 'ipcp';
      expect(w.conn.phases().at(-1)).toMatchObject({
        phase,
        result: 'failed',
        ...(isPpp ? {} : { detail: 'cancelled' }),
      });
      expect(w.conn.phases().some((p) => p.result === 'running')).toBe(false);
      const goodbyes = w.lns
        .received()
        .filter((x) => ['LCP Terminate-Request', 'CDN', 'StopCCN'].includes(x));
      expect(goodbyes).toEqual(GOODBYES[phase]);
      const routesBegan = phase === 'routes' || phase === 'dns';
      expect(w.network!.calls.map((c) => c.what).includes('restore')).toBe(routesBegan);
      expect(w.carrier.isUp).toBe(false);
      expect(w.clientClock.pending).toBe(0);
      expect(await w.quiesce()).toBe(0);
    });
  }

  it('is bounded by the goodbye deadlines when the server is gone (cancel during LCP)', async () => {
    const w = await world({ lns: { goneAt: 'lcp' } });
    const d = disconnectDuring(w, 'lcp');
    await w.connect();
    await d.done();
    expect(w.conn.state).toEqual({ kind: 'disconnected', reason: 'user' });
    // PPP Terminate (3 s) + CDN (3 s) + StopCCN (3 s) unanswered.
    expect(w.clock.now() - d.at()).toBeLessThanOrEqual(9100);
    expect(w.clientClock.pending).toBe(0);
  });

  it('two concurrent disconnect() calls share one teardown and one final state', async () => {
    const w = await world(SLOW_PHASES);
    void nextState(w.conn, (s) => s.kind === 'connecting' && s.phase === 'auth').then(() => {
      void w.conn.disconnect();
      void w.conn.disconnect();
    });
    await w.connect();
    await w.clock.advance(5000);
    expect(w.states.filter((s) => s.kind === 'disconnected')).toHaveLength(1);
    expect(w.lns.received().filter((x) => x === 'StopCCN')).toHaveLength(1);
    expect(w.clientClock.pending).toBe(0);
  });

  it('disconnect() before connect() settles on disconnected, and connect() is then refused', async () => {
    const w = await world();
    await w.conn.disconnect();
    expect(w.conn.state).toEqual({ kind: 'disconnected', reason: 'user' });
    await expect(w.conn.connect()).rejects.toThrow(/state disconnected/);
    expect(w.carrier.opened).toBe(0);
  });

  it('connect() twice is refused without disturbing the first', async () => {
    const w = await world();
    const first = w.connect();
    await expect(w.conn.connect()).rejects.toThrow(/state connecting/);
    const out = await first;
    expect(out.ok).toBe(true);
    w.lns.stop();
  });

  it('closes a carrier that comes up after disconnect() aborted its bring-up', async () => {
    const w = await world({ carrier: { ikeMs: 100, ignoreAbort: true } });
    const d = disconnectDuring(w, 'ike-phase1');
    await w.connect();
    await d.done();
    await w.clock.advance(1000);
    expect(w.carrier.opened).toBe(1);
    expect(w.carrier.isUp).toBe(false);
  });

  it('(today) a carrier that honours the abort is never opened', async () => {
    const w = await world({ carrier: { ikeMs: 100 } });
    const d = disconnectDuring(w, 'quick-mode');
    await w.connect();
    await d.done();
    await w.clock.advance(1000);
    expect(w.carrier.isUp).toBe(false);
    expect(w.carrier.closed).toBe(0);
    expect(w.lns.datagramsIn).toBe(0);
  });
});

describe('disconnect() from inside a state listener (synchronously)', () => {
  /** Runs a connect whose 'state' listener calls disconnect() the moment `phase` is announced. */
  async function cancelFromListener(phase: ConnectPhase): Promise<World> {
    const w = await world(SLOW_PHASES);
    let called = false;
    w.conn.events.on('state', (s) => {
      if (called || s.kind !== 'connecting' || s.phase !== phase) return;
      called = true;
      void w.conn.disconnect();
    });
    const out = await w.connect();
    expect(out.ok).toBe(false);
    await w.clock.advance(1000);
    expect(w.conn.state).toEqual({ kind: 'disconnected', reason: 'user' });
    return w;
  }

  const GOODBYE = new Set(['LCP Terminate-Request', 'CDN', 'StopCCN']);

  for (const phase of CONNECT_PHASES) {
    it(`during ${phase}: leaves no unhandled rejection behind`, async () => {
      const { rejections } = await collectUnhandledRejections(() => cancelFromListener(phase));
      expect(rejections.map((r) => (r instanceof Error ? r.message : String(r)))).toEqual([]);
    });

    it(`during ${phase}: sends nothing but goodbyes after the first one and leaves no timer 1 s later`, async () => {
      const { value: w } = await collectUnhandledRejections(() => cancelFromListener(phase));
      const got = w.lns.received();
      const first = got.findIndex((x) => GOODBYE.has(x));
      if (first >= 0) expect(got.slice(first).filter((x) => !GOODBYE.has(x))).toEqual([]);
      expect(w.clientClock.pending).toBe(0);
    });
  }
});
