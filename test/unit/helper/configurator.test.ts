import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FerryError, isFerryError } from '../../../core/common/errors';
import type { TunnelAddresses } from '../../../core/connection/state';
import { parseProfile } from '../../../core/profile/schema';
import { lookupGroup, parseHelperArgs } from '../../../main/helper/config';
import {
  type HelperApi,
  HelperNetworkConfigurator,
  networkConfiguratorFor,
} from '../../../main/helper/networkConfigurator';

const addresses: TunnelAddresses = {
  localIp: '10.8.0.2',
  peerIp: '10.8.0.1',
  dns: ['10.8.0.53', '10.8.0.54'],
  mtu: 1400,
};

function fakeHelper(fail?: (type: string) => FerryError | null) {
  const calls: [string, unknown][] = [];
  const call =
    <R>(type: string, result: R) =>
    async (args?: unknown): Promise<R> => {
      calls.push([type, args]);
      const e = fail?.(type);
      if (e) throw e;
      return result;
    };
  const helper: HelperApi = {
    createTun: call('createTun', { name: 'ferry0', token: 'f'.repeat(32) }),
    setAddress: call('setAddress', {}),
    setMtu: call('setMtu', {}),
    addRoutes: call('addRoutes', { added: 1 }),
    setFullTunnel: call('setFullTunnel', { gateway: '192.0.2.1', device: 'eth0' }),
    setDns: call('setDns', { method: 'dns-file' }),
    enableKillSwitch: call('enableKillSwitch', {}),
    restoreAll: call('restoreAll', { undone: 3 }),
  } as unknown as HelperApi;
  return { helper, calls };
}

describe('HelperNetworkConfigurator', () => {
  it('split tunnel: device, address, MTU, the profile subnets; DNS with search domains only', async () => {
    const { helper, calls } = fakeHelper();
    const tuns: string[] = [];
    const net = new HelperNetworkConfigurator({
      helper,
      routing: { mode: 'split', subnets: ['10.1.0.0/16', '192.168.50.0/24'] },
      searchDomains: ['corp.example'],
      serverAddress: '203.0.113.9',
      tunOwner: { uid: 1000 },
      onTun: (t) => tuns.push(t.name),
    });
    await net.applyRoutes(addresses);
    await net.applyDns(addresses);
    expect(net.tunName).toBe('ferry0');
    expect(tuns).toEqual(['ferry0']);
    expect(calls).toEqual([
      ['createTun', { mtu: 1400, owner: { uid: 1000 }, clampMss: false }],
      ['setAddress', { name: 'ferry0', address: '10.8.0.2', prefix: 32, peer: '10.8.0.1' }],
      ['setMtu', { name: 'ferry0', mtu: 1400 }],
      ['addRoutes', { name: 'ferry0', cidrs: ['10.1.0.0/16', '192.168.50.0/24'] }],
      [
        'setDns',
        {
          name: 'ferry0',
          servers: ['10.8.0.53', '10.8.0.54'],
          searchDomains: ['corp.example'],
          defaultRoute: false,
        },
      ],
    ]);
  });

  it('full tunnel with kill switch: default route through the tunnel, all DNS through it', async () => {
    const { helper, calls } = fakeHelper();
    const net = new HelperNetworkConfigurator({
      helper,
      routing: { mode: 'full' },
      searchDomains: [],
      serverAddress: '203.0.113.9',
      killSwitch: true,
      clampMss: true,
    });
    await net.applyRoutes({ ...addresses, peerIp: '' });
    await net.applyDns(addresses);
    expect(calls.map(([t]) => t)).toEqual([
      'createTun',
      'setAddress',
      'setMtu',
      'setFullTunnel',
      'enableKillSwitch',
      'setDns',
    ]);
    expect(calls[0]![1]).toEqual({ mtu: 1400, clampMss: true });
    expect(calls[1]![1]).toEqual({ name: 'ferry0', address: '10.8.0.2', prefix: 32 });
    expect(calls[3]![1]).toEqual({ name: 'ferry0', server: '203.0.113.9' });
    expect(calls[4]![1]).toEqual({ name: 'ferry0', server: '203.0.113.9' });
    expect((calls[5]![1] as { defaultRoute: boolean }).defaultRoute).toBe(true);
  });

  it('splits long subnet lists into requests the helper accepts; skips DNS without servers', async () => {
    const { helper, calls } = fakeHelper();
    const subnets = Array.from({ length: 300 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    const net = new HelperNetworkConfigurator({
      helper,
      routing: { mode: 'split', subnets },
      searchDomains: [],
      serverAddress: '203.0.113.9',
    });
    await net.applyRoutes(addresses);
    await net.applyDns({ ...addresses, dns: [] });
    const routeCalls = calls
      .filter(([t]) => t === 'addRoutes')
      .map(([, a]) => (a as { cidrs: string[] }).cidrs.length);
    expect(routeCalls).toEqual([256, 44]);
    expect(calls.some(([t]) => t === 'setDns')).toBe(false);
  });

  it('builds from a profile: its routing, search domains and kill switch', async () => {
    const profile = parseProfile({
      id: 'corp',
      name: 'Corp',
      server: 'vpn.corp.example',
      userAuth: { username: 'alice' },
      routing: { mode: 'split', subnets: ['10.20.0.0/16'] },
      dns: { searchDomains: ['corp.example'] },
      killSwitch: true,
    });
    if (!profile.ok) throw new Error(JSON.stringify(profile.error));
    const { helper, calls } = fakeHelper();
    const net = networkConfiguratorFor(profile.value, helper, '203.0.113.9', { tunOwner: { uid: 1000 } });
    await net.applyRoutes(addresses);
    await net.applyDns(addresses);
    expect(calls.map(([t]) => t)).toEqual([
      'createTun',
      'setAddress',
      'setMtu',
      'addRoutes',
      'enableKillSwitch',
      'setDns',
    ]);
    expect(calls[3]![1]).toEqual({ name: 'ferry0', cidrs: ['10.20.0.0/16'] });
    expect(calls[5]![1]).toMatchObject({ searchDomains: ['corp.example'], defaultRoute: false });
  });

  it('helper refusals surface in the routes or dns phase; restore never rejects', async () => {
    const refusal = (code: string) => new FerryError({ phase: 'helper', code, message: 'nope', hint: 'h' });
    const { helper } = fakeHelper((t) =>
      t === 'addRoutes'
        ? refusal('failed')
        : t === 'setDns'
          ? refusal('invalid-argument')
          : t === 'restoreAll'
            ? refusal('helper-closed')
            : null,
    );
    const net = new HelperNetworkConfigurator({
      helper,
      routing: { mode: 'split', subnets: ['10.1.0.0/16'] },
      searchDomains: [],
      serverAddress: '203.0.113.9',
    });
    const r = await net.applyRoutes(addresses).catch((e: unknown) => e);
    expect(isFerryError(r) && [r.phase, r.code]).toEqual(['routes', 'failed']);
    const d = await net.applyDns(addresses).catch((e: unknown) => e);
    expect(isFerryError(d) && [d.phase, d.code]).toEqual(['dns', 'invalid-argument']);
    await expect(net.restore()).resolves.toBeUndefined();
    expect(net.tunName).toBeNull();
  });
});

describe('helper command line', () => {
  it('defaults, overrides and refusals', () => {
    const groups = (n: string) => (n === 'ferry' ? 990 : n === 'staff' ? 50 : null);
    expect(parseHelperArgs([], groups)).toEqual({
      ok: true,
      value: {
        mode: 'socket',
        socketPath: '/run/ferry/helper.sock',
        statePath: '/run/ferry/state.json',
        group: 990,
        allowUids: [],
        logLevel: 'info',
      },
    });
    const r = parseHelperArgs(
      [
        '--stdio',
        '--socket',
        '/tmp/x.sock',
        '--state',
        '/tmp/s.json',
        '--group',
        'staff',
        '--allow-uid',
        '65534',
        '--log-level',
        'debug',
      ],
      groups,
    );
    expect(r.ok && r.value).toMatchObject({
      mode: 'stdio',
      socketPath: '/tmp/x.sock',
      group: 50,
      allowUids: [65534],
      logLevel: 'debug',
    });
    expect(
      parseHelperArgs(['--group', '4242'], groups).ok && parseHelperArgs(['--group', '4242'], groups),
    ).toMatchObject({ value: { group: 4242 } });
    expect(parseHelperArgs([], () => null)).toMatchObject({ ok: true, value: { group: null } });
    for (const bad of [
      ['--socket', 'relative'],
      ['--group', 'nosuch'],
      ['--allow-uid', 'root'],
      ['--log-level', 'loud'],
      ['--shell'],
      ['--socket'],
    ])
      expect(parseHelperArgs(bad, groups).ok, bad.join(' ')).toBe(false);
  });

  it('looks groups up in a group file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-group-'));
    try {
      const file = join(dir, 'group');
      writeFileSync(file, 'root:x:0:\nferry:x:990:alice,bob\nbroken:x:abc:\n');
      expect(lookupGroup('ferry', file)).toBe(990);
      expect(lookupGroup('broken', file)).toBeNull();
      expect(lookupGroup('nobody-here', file)).toBeNull();
      expect(lookupGroup('ferry', join(dir, 'missing'))).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
