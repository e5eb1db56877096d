import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/common/log';
import type { Route } from '../../../main/helper/backend';
import { Journal, memoryStore, parseState } from '../../../main/helper/journal';
import { parseRequest, Refusal, type Request } from '../../../main/helper/protocol';
import { HelperService, type PeerInfo } from '../../../main/helper/service';
import { FakeBackend } from './fakes';

const root: PeerInfo = { uid: 0, gid: 0, pid: 1, transport: 'socket' };
const user: PeerInfo = { uid: 1000, gid: 1000, pid: 2, transport: 'socket' };

function r(type: string, args: unknown = {}): Request {
  const p = parseRequest(JSON.stringify({ id: 1, type, args }));
  if (!p.ok) throw new Error(p.error.message);
  return p.value;
}

function setup() {
  const backend = new FakeBackend();
  const store = memoryStore();
  const journal = new Journal(store, 4242);
  const service = new HelperService(backend, journal, silentLogger);
  return { backend, store, journal, service };
}

async function refusedWith(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Refusal) return e.code;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('helper service', () => {
  it('a full session is undone exactly when the client goes away', async () => {
    const { backend, service, store } = setup();
    const before = backend.snapshot();
    const s = service.openSession(root);
    const { name } = (await service.handle(s, r('createTun', { mtu: 1400, clampMss: true }))) as {
      name: string;
    };
    await service.handle(s, r('setAddress', { name, address: '10.0.0.2', peer: '10.0.0.1' }));
    await service.handle(s, r('addRoutes', { name, cidrs: ['10.1.0.0/16', '10.2.0.0/16'] }));
    await service.handle(s, r('setFullTunnel', { name, server: '203.0.113.9' }));
    await service.handle(s, r('setDns', { name, servers: ['10.0.0.53'] }));
    await service.handle(s, r('enableKillSwitch', { name, server: '203.0.113.9' }));
    expect(backend.routes).toEqual(
      new Set([
        '10.1.0.0/16 dev ferry0',
        '10.2.0.0/16 dev ferry0',
        '203.0.113.9/32 via 192.0.2.1 dev eth0',
        '0.0.0.0/1 dev ferry0',
        '128.0.0.0/1 dev ferry0',
      ]),
    );
    expect(backend.dns).toBe(name);
    expect(backend.killSwitch).toBe(name);
    // the state file holds every change, in order
    const state = parseState(store.text!);
    expect(state.ok && state.value.map((e) => e.undo.kind)).toEqual([
      'tun',
      'nft-table',
      'route',
      'route',
      'route',
      'route',
      'route',
      'dns-resolved',
      'nft-table',
    ]);
    const summary = await service.closeSession(s);
    expect(summary).toMatchObject({ undone: 9, failed: 0 });
    expect(backend.snapshot()).toBe(before);
    expect(store.text).toBeNull();
    // undone newest first: kill switch before DNS before routes before the device
    const undos = backend.log.filter((l) => l.startsWith('undo')).map((l) => JSON.parse(l.slice(5)).kind);
    expect(undos[0]).toBe('nft-table');
    expect(undos.at(-1)).toBe('tun');
  });

  it('refuses what the session does not own (not-ours) and keeps sessions apart', async () => {
    const { service } = setup();
    const a = service.openSession(root);
    const b = service.openSession(root);
    const { name } = (await service.handle(a, r('createTun'))) as { name: string };
    expect(await refusedWith(service.handle(b, r('addRoutes', { name, cidrs: ['10.1.0.0/16'] })))).toBe(
      'not-ours',
    );
    expect(await refusedWith(service.handle(b, r('destroyTun', { name: 'eth0' })))).toBe('not-ours');
    expect(await refusedWith(service.handle(b, r('setDns', { name: 'eth0', servers: ['1.1.1.1'] })))).toBe(
      'not-ours',
    );
    await service.handle(a, r('setDns', { name, servers: ['10.0.0.53'] }));
    const { name: other } = (await service.handle(b, r('createTun'))) as { name: string };
    // DNS and the kill switch are machine-wide: one holder at a time
    expect(await refusedWith(service.handle(b, r('setDns', { name: other, servers: ['10.9.0.53'] })))).toBe(
      'failed',
    );
    await service.handle(a, r('enableKillSwitch', { name, server: '203.0.113.9' }));
    expect(
      await refusedWith(service.handle(b, r('enableKillSwitch', { name: other, server: '1.2.3.4' }))),
    ).toBe('failed');
    await service.closeSession(a);
    await service.handle(b, r('setDns', { name: other, servers: ['10.9.0.53'] }));
  });

  it('a non-root caller owns its device and may not create one for someone else', async () => {
    const { backend, service } = setup();
    const s = service.openSession(user);
    await service.handle(s, r('createTun'));
    expect(backend.log[0]).toBe('createTun 1000');
    expect(await refusedWith(service.handle(s, r('createTun', { owner: { uid: 0 } })))).toBe('unauthorized');
    expect(await refusedWith(service.handle(s, r('createTun', { owner: { uid: 1000, gid: 0 } })))).toBe(
      'unauthorized',
    );
    const t = service.openSession(root);
    await service.handle(t, r('createTun', { owner: { uid: 65534 } }));
    expect(backend.log.at(-2)).toBe('createTun 65534');
  });

  it('rolls back a route set when one route fails or already exists, and refuses it', async () => {
    const { backend, service } = setup();
    const s = service.openSession(root);
    const { name } = (await service.handle(s, r('createTun'))) as { name: string };
    const before = backend.snapshot();
    backend.preexisting.add('10.3.0.0/16 dev ferry0');
    expect(
      await refusedWith(service.handle(s, r('addRoutes', { name, cidrs: ['10.1.0.0/16', '10.3.0.0/16'] }))),
    ).toBe('failed');
    expect(backend.snapshot()).toBe(before);
    backend.failOn = (op, arg) => op === 'addRoute' && arg === '10.2.0.0/16 dev ferry0';
    expect(
      await refusedWith(service.handle(s, r('addRoutes', { name, cidrs: ['10.1.0.0/16', '10.2.0.0/16'] }))),
    ).toBe('failed');
    expect(backend.snapshot()).toBe(before);
  });

  it('uses the backend route batches where it has them, with the same all-or-nothing result', async () => {
    const batches: string[] = [];
    class BatchingBackend extends FakeBackend {
      async addRoutes(routes: readonly Route[]) {
        batches.push(`add ${routes.length}`);
        return Promise.all(routes.map((r) => this.addRoute(r).catch((e: Error) => e)));
      }
      async removeRoutes(routes: readonly Route[]) {
        batches.push(`remove ${routes.length}`);
        return Promise.all(routes.map((r) => this.undo({ kind: 'route', ...r }).then(() => null)));
      }
    }
    const backend = new BatchingBackend();
    const service = new HelperService(backend, new Journal(memoryStore()), silentLogger);
    const before = backend.snapshot();
    const s = service.openSession(root);
    const { name } = (await service.handle(s, r('createTun'))) as { name: string };
    const cidrs = Array.from({ length: 200 }, (_, i) => `10.${i}.0.0/16`);
    await service.handle(s, r('addRoutes', { name, cidrs }));
    backend.preexisting.add('172.16.0.0/12 dev ferry0');
    expect(
      await refusedWith(
        service.handle(s, r('addRoutes', { name, cidrs: ['172.20.0.0/16', '172.16.0.0/12'] })),
      ),
    ).toBe('failed');
    await service.closeSession(s);
    expect(batches).toEqual(['add 200', 'add 2', 'remove 1', 'remove 200']);
    expect(backend.snapshot()).toBe(before);
  });

  it('a server host route that already exists is not ours and is left in place', async () => {
    const { backend, service } = setup();
    backend.preexisting.add('203.0.113.9/32 via 192.0.2.1 dev eth0');
    const s = service.openSession(root);
    const { name } = (await service.handle(s, r('createTun'))) as { name: string };
    await service.handle(s, r('setFullTunnel', { name, server: '203.0.113.9' }));
    expect(await refusedWith(service.handle(s, r('setFullTunnel', { name, server: '203.0.113.9' })))).toBe(
      'failed',
    );
    await service.closeSession(s);
    expect(backend.log.filter((l) => l.includes('203.0.113.9/32') && l.startsWith('undo'))).toEqual([]);
  });

  it('refuses a full tunnel when the server is already routed through a tunnel', async () => {
    const { backend, service } = setup();
    const s = service.openSession(root);
    const { name } = (await service.handle(s, r('createTun'))) as { name: string };
    backend.hop = { via: null, dev: name };
    expect(await refusedWith(service.handle(s, r('setFullTunnel', { name, server: '203.0.113.9' })))).toBe(
      'failed',
    );
  });

  it('a failed apply is undone and forgotten; a failed device bring-up removes the device', async () => {
    const { backend, service, journal } = setup();
    const s = service.openSession(root);
    const { name } = (await service.handle(s, r('createTun'))) as { name: string };
    backend.failOn = (op) => op === 'setDns';
    expect(await refusedWith(service.handle(s, r('setDns', { name, servers: ['10.0.0.53'] })))).toBe(
      'failed',
    );
    expect(journal.all().map((e) => e.undo.kind)).toEqual(['tun']);
    backend.failOn = (op) => op === 'bringUp';
    expect(await refusedWith(service.handle(s, r('createTun')))).toBe('failed');
    expect([...backend.devices]).toEqual([name]);
  });

  it('restoreDns, disableKillSwitch, removeRoutes, destroyTun and restoreAll undo only their part', async () => {
    const { backend, service } = setup();
    const s = service.openSession(root);
    const { name } = (await service.handle(s, r('createTun'))) as { name: string };
    await service.handle(s, r('addRoutes', { name, cidrs: ['10.1.0.0/16', '10.2.0.0/16'] }));
    await service.handle(s, r('setDns', { name, servers: ['10.0.0.53'] }));
    await service.handle(s, r('enableKillSwitch', { name, server: '203.0.113.9' }));
    expect(await service.handle(s, r('restoreDns'))).toEqual({ restored: true });
    expect(backend.dns).toBeNull();
    expect(await service.handle(s, r('restoreDns'))).toEqual({ restored: false });
    expect(await service.handle(s, r('disableKillSwitch'))).toEqual({ disabled: true });
    expect(backend.killSwitch).toBeNull();
    expect(await service.handle(s, r('removeRoutes', { name, cidrs: ['10.2.0.0/16'] }))).toEqual({
      removed: 1,
    });
    expect([...backend.routes]).toEqual(['10.1.0.0/16 dev ferry0']);
    const status = (await service.handle(s, r('status'))) as { session: unknown };
    expect(status.session).toEqual({ tuns: [name], routes: 1, dns: false, killSwitch: false });
    await service.handle(s, r('destroyTun', { name }));
    expect(backend.snapshot()).toBe(new FakeBackend().snapshot());
    expect(await refusedWith(service.handle(s, r('setMtu', { name, mtu: 1300 })))).toBe('not-ours');
    await service.handle(s, r('createTun'));
    expect(await service.handle(s, r('restoreAll'))).toEqual({ undone: 1 });
  });

  it('enforces the per-session device and route limits', async () => {
    const { service } = setup();
    const s = service.openSession(root);
    const names: string[] = [];
    for (let i = 0; i < 4; i++)
      names.push(((await service.handle(s, r('createTun'))) as { name: string }).name);
    expect(await refusedWith(service.handle(s, r('createTun')))).toBe('invalid-argument');
    const cidrs = (k: number) => Array.from({ length: 256 }, (_, i) => `10.${k}.${i}.0/24`);
    for (let k = 0; k < 4; k++) await service.handle(s, r('addRoutes', { name: names[0], cidrs: cidrs(k) }));
    expect(
      await refusedWith(service.handle(s, r('addRoutes', { name: names[0], cidrs: ['11.0.0.0/8'] }))),
    ).toBe('invalid-argument');
  });

  it('openTunFd: the token proves ownership, also from another connection of the same user', async () => {
    const { service } = setup();
    const a = service.openSession(user);
    const { name, token } = (await service.handle(a, r('createTun'))) as { name: string; token: string };
    const b = service.openSession(user);
    expect(await service.tunFd(b, name, token)).toBe(99);
    expect(await refusedWith(service.tunFd(b, name, '0'.repeat(32)))).toBe('not-ours');
    const stranger = service.openSession({ uid: 1001, gid: 1001, pid: 3, transport: 'socket' });
    expect(await refusedWith(service.tunFd(stranger, name, token))).toBe('unauthorized');
    // root created the device for uid 1001: that user may fetch it
    const admin = service.openSession(root);
    const made = (await service.handle(admin, r('createTun', { owner: { uid: 1001 } }))) as {
      name: string;
      token: string;
    };
    expect(await service.tunFd(stranger, made.name, made.token)).toBe(99);
    expect(await refusedWith(service.handle(a, r('openTunFd', { name, token })))).toBe('invalid-argument');
  });

  it('hello checks the protocol version', async () => {
    const { service } = setup();
    const s = service.openSession(root);
    expect(await service.handle(s, r('hello', { version: 1 }))).toEqual({
      version: 1,
      platform: 'linux',
      uid: 0,
    });
    expect(await refusedWith(service.handle(s, r('hello', { version: 2 })))).toBe('malformed');
  });
});
