/**
 * The connection manager on fakes (in-process LNS, fake helper, fake TUN) with a FakeClock: the bring-up through
 * the helper and the device, packets both ways through the pump, clean disconnect, failures by class, loss after
 * connect with reconnect and backoff, the helper dying, and the redacted diagnostics bundle.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectionView } from '../../../core/api/ipc';
import { FerryError, isFerryError } from '../../../core/common/errors';
import { formatLogEntry } from '../../../core/common/log';
import { echoReplies, echoRequest, managerWorld, PASSWORD, PSK } from './support';

async function failure(p: Promise<unknown>): Promise<FerryError> {
  try {
    await p;
  } catch (e) {
    if (isFerryError(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('ConnectionManager', () => {
  it('connects through helper and TUN, pumps packets both ways, and restores on disconnect', async () => {
    const w = await managerWorld();
    const views: ConnectionView[] = [];
    w.manager.events.on('connection', (v) => views.push(v));
    const view = await w.run(w.manager.connect(w.profile));
    expect(view.state).toMatchObject({
      kind: 'connected',
      addresses: { localIp: '10.99.0.10', peerIp: '10.99.0.1' },
    });
    expect(view.phases.map((p) => [p.phase, p.result])).toEqual([
      ['ike-phase1', 'ok'],
      ['quick-mode', 'ok'],
      ['l2tp-tunnel', 'ok'],
      ['l2tp-session', 'ok'],
      ['lcp', 'ok'],
      ['auth', 'ok'],
      ['ipcp', 'ok'],
      ['routes', 'ok'],
      ['dns', 'ok'],
    ]);
    // The device is attached before any route points at it.
    expect(w.helper.types()).toEqual(['createTun', 'setAddress', 'setMtu', 'addRoutes', 'setDns']);
    expect(view.routes).toEqual(['10.10.0.0/16 dev ferry0']);
    expect(view.dns).toEqual(['10.99.0.1', '10.99.0.2']);
    expect(views.some((v) => v.state.kind === 'connecting')).toBe(true);

    const tun = w.tuns[0]!;
    for (let seq = 1; seq <= 3; seq++) tun.inject(echoRequest('10.99.0.10', '10.99.0.1', seq));
    await w.clock.advance(500);
    expect(echoReplies(tun, '10.99.0.1')).toEqual([1, 2, 3]);
    // Not IPv4: counted, never sent into the tunnel.
    tun.inject(new Uint8Array([0x60, 0, 0, 0, ...new Array(36).fill(0)]));
    const diag = await w.manager.diagnostics(w.profile.id);
    expect(diag?.pump).toEqual({ notIpv4: 1, refused: 0 });
    expect(diag?.connection.counters?.ip.packetsOut).toBe(3);

    await w.run(w.manager.disconnect(w.profile.id));
    expect(w.manager.view(w.profile.id)?.state).toEqual({ kind: 'disconnected', reason: 'user' });
    expect(w.helper.types().slice(-1)).toEqual(['restoreAll']);
    expect(w.helper.closed).toBe(1);
    expect(tun.closed).toBe(true);
    expect(await w.manager.ended(w.profile.id)).toEqual({ kind: 'disconnected', reason: 'user' });
    expect(w.manager.isActive(w.profile.id)).toBe(false);
  });

  it('refuses a second connect of an active profile', async () => {
    const w = await managerWorld();
    await w.run(w.manager.connect(w.profile));
    expect(await failure(w.manager.connect(w.profile))).toMatchObject({ code: 'already-active' });
    await w.run(w.manager.disconnect(w.profile.id));
  });

  it('a missing secret fails in the secrets phase before the helper or the server is contacted', async () => {
    const w = await managerWorld({ secrets: { password: PASSWORD } });
    const e = await w.run(failure(w.manager.connect(w.profile)));
    expect(e).toMatchObject({ phase: 'secrets', code: 'secret-missing' });
    expect(e.message).toContain('pre-shared key');
    expect(w.helper.calls).toEqual([]);
    expect(w.carriers).toHaveLength(0);
    expect(w.manager.view(w.profile.id)?.state).toMatchObject({ kind: 'failed', phase: 'secrets' });
  });

  it('a wrong password fails in auth, undoes the helper session, and does not reconnect', async () => {
    const w = await managerWorld({ secrets: { psk: PSK, password: 'not-the-password' } });
    const e = await w.run(failure(w.manager.connect(w.profile)));
    expect(e).toMatchObject({ phase: 'auth', code: 'auth-failed' });
    expect(w.helper.closed).toBe(1);
    await w.clock.advance(120_000);
    expect(w.carriers).toHaveLength(1);
    expect(await w.manager.ended(w.profile.id)).toMatchObject({ kind: 'failed', phase: 'auth' });
    const logs = w.logs.map(formatLogEntry).join('\n');
    expect(logs).not.toContain('not-the-password');
    expect(logs).not.toContain(PSK);
  });

  it('a helper refusal surfaces in the routes phase', async () => {
    const w = await managerWorld();
    w.helper.failOn = 'addRoutes';
    const e = await w.run(failure(w.manager.connect(w.profile)));
    expect(e).toMatchObject({ phase: 'routes', code: 'failed' });
    expect(w.helper.closed).toBe(1);
  });

  it('after a loss it shows why, reconnects with backoff, and comes back up on a fresh session', async () => {
    const w = await managerWorld();
    await w.run(w.manager.connect(w.profile));
    w.carriers[0]!.fail(
      new FerryError({
        phase: 'established',
        code: 'dead-peer',
        message: 'no DPD answer',
        hint: 'check the network',
      }),
    );
    await w.clock.advance(5_000);
    const mid = w.manager.view(w.profile.id)!;
    // Either still waiting, or already up again: the loss must have been shown with its reason first.
    const seen: ConnectionView[] = [];
    w.manager.events.on('connection', (v) => seen.push(v));
    await w.clock.advance(60_000);
    expect(w.carriers.length).toBeGreaterThanOrEqual(2);
    expect(w.manager.view(w.profile.id)?.state.kind).toBe('connected');
    expect(w.tuns).toHaveLength(2);
    expect(w.tuns[0]!.closed).toBe(true);
    expect(w.helper.closed).toBe(1);
    expect(mid.state.kind === 'failed' || mid.state.kind === 'connected').toBe(true);
    await w.run(w.manager.disconnect(w.profile.id));
  });

  it('the reconnect state carries the failure reason and the attempt; gives up after maxAttempts', async () => {
    const w = await managerWorld({
      manager: { backoff: { initialMs: 1000, factor: 2, maxMs: 8000, jitter: 0, maxAttempts: 3 } },
    });
    await w.run(w.manager.connect(w.profile));
    w.carrierFailure = { phase: 'ike-phase1', code: 'timeout' };
    const views: ConnectionView[] = [];
    w.manager.events.on('connection', (v) => views.push(v));
    w.carriers[0]!.fail(
      new FerryError({ phase: 'established', code: 'dead-peer', message: 'gone', hint: 'h' }),
    );
    await w.clock.advance(100);
    expect(w.manager.view(w.profile.id)).toMatchObject({
      state: { kind: 'failed', phase: 'established', code: 'dead-peer' },
      reconnect: { attempt: 1, inMs: 900 },
    });
    await w.clock.advance(60_000);
    const pending = views.flatMap((v) => (v.reconnect ? [v.reconnect.attempt] : []));
    expect([...new Set(pending)]).toEqual([1, 2, 3]);
    expect(w.carriers).toHaveLength(4);
    expect(await w.manager.ended(w.profile.id)).toMatchObject({
      kind: 'failed',
      phase: 'ike-phase1',
      code: 'timeout',
    });
    expect(w.manager.view(w.profile.id)?.reconnect).toBeNull();
  });

  it('does not reconnect when the profile turns auto-reconnect off', async () => {
    const w = await managerWorld({ profile: { autoReconnect: false } });
    await w.run(w.manager.connect(w.profile));
    w.carriers[0]!.fail(
      new FerryError({ phase: 'established', code: 'dead-peer', message: 'gone', hint: 'h' }),
    );
    expect(await w.run(w.manager.ended(w.profile.id)!)).toMatchObject({
      kind: 'failed',
      phase: 'established',
      code: 'dead-peer',
    });
    await w.clock.advance(120_000);
    expect(w.carriers).toHaveLength(1);
  });

  it('a disconnect while a reconnect is pending cancels it', async () => {
    const w = await managerWorld();
    await w.run(w.manager.connect(w.profile));
    w.carriers[0]!.fail(
      new FerryError({ phase: 'established', code: 'dead-peer', message: 'gone', hint: 'h' }),
    );
    await w.clock.advance(100);
    expect(w.manager.view(w.profile.id)?.reconnect).not.toBeNull();
    await w.run(w.manager.disconnect(w.profile.id));
    await w.clock.advance(120_000);
    expect(w.carriers).toHaveLength(1);
    expect(w.manager.view(w.profile.id)).toMatchObject({ state: { kind: 'disconnected' }, reconnect: null });
  });

  it('the helper dying while connected is a loss: the tunnel is torn down and reconnected', async () => {
    const w = await managerWorld();
    await w.run(w.manager.connect(w.profile));
    w.helper.die();
    await w.clock.advance(100);
    expect(w.manager.view(w.profile.id)?.state).toMatchObject({
      kind: 'failed',
      phase: 'established',
      code: 'helper-closed',
    });
    await w.clock.advance(60_000);
    // The old session was closed properly towards the server before the new one came up.
    expect(w.servers[0]!.received('l2tp')).toEqual(expect.arrayContaining(['CDN', 'StopCCN']));
    expect(w.manager.view(w.profile.id)?.state.kind).toBe('connected');
    expect(w.servers).toHaveLength(2);
    await w.run(w.manager.disconnect(w.profile.id));
  });

  it('the TUN device vanishing is a loss too', async () => {
    const w = await managerWorld({ profile: { autoReconnect: false } });
    await w.run(w.manager.connect(w.profile));
    w.tuns[0]!.fail(new Error('EBADFD'));
    expect(await w.run(w.manager.ended(w.profile.id)!)).toMatchObject({
      kind: 'failed',
      phase: 'established',
      code: 'tun-lost',
    });
  });

  it('exports a diagnostics bundle with timeline, counters, algorithms, routes and DNS, and no secret', async () => {
    const w = await managerWorld({
      profile: { routing: { mode: 'full' }, dns: { searchDomains: ['corp.example'] } },
    });
    await w.run(w.manager.connect(w.profile));
    w.tuns[0]!.inject(echoRequest('10.99.0.10', '10.99.0.1', 1));
    await w.clock.advance(200);
    const text = (await w.manager.bundle(w.profile.id))!;
    const b = JSON.parse(text);
    expect(b.format).toBe('ferry-diagnostics');
    expect(b.connection.phases).toHaveLength(9);
    expect(b.algorithms).toMatchObject({ ike: 'fake', pppAuth: 'mschapv2' });
    expect(b.addresses.localIp).toBe('10.99.0.10');
    expect(b.network).toMatchObject({
      tunName: 'ferry0',
      routes: ['0.0.0.0/1 dev ferry0', '128.0.0.0/1 dev ferry0', '192.0.2.1/32 via 192.0.2.254 dev eth0'],
      dns: ['10.99.0.1', '10.99.0.2'],
      searchDomains: ['corp.example'],
    });
    expect(b.connection.counters.ip.packetsIn).toBe(1);
    expect(b.secretsStored).toEqual({ psk: true, password: true });
    expect(b.log.length).toBeGreaterThan(10);
    for (const secret of [PSK, PASSWORD]) expect(text).not.toContain(secret);
    await w.run(w.manager.disconnect(w.profile.id));
  });
});
