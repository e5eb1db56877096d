import { describe, expect, it } from 'vitest';
import { Win32Backend } from '../../../main/helper/win32/backend';
import { parseFirewallPolicies } from '../../../main/helper/win32/commands';
import { dwordToIpv4, encodeGuid, ipv4ToDword, type WintunApi } from '../../../main/helper/win32/wintun';
import { RecordingRunner } from './fakes';

const GUID = '8f1c2e5a-3b4d-4c6e-9a7b-0123456789ab';

function fakeWintun(opts: { failCreate?: boolean } = {}) {
  const calls: string[] = [];
  const api: WintunApi = {
    createAdapter: (name, type, guid) => {
      calls.push(`WintunCreateAdapter ${name} ${type} ${guid}`);
      return opts.failCreate ? null : { handle: name };
    },
    closeAdapter: (h) => {
      calls.push(`WintunCloseAdapter ${(h as { handle: string }).handle}`);
    },
    interfaceIndex: (h) => {
      calls.push(`index ${(h as { handle: string }).handle}`);
      return 17;
    },
    bestRoute: (dest) => {
      calls.push(`GetBestRoute ${dest}`);
      return { nextHop: '192.168.1.1', ifIndex: 4 };
    },
    lastError: () => 5,
  };
  return { api, calls };
}

const POLICY_OUTPUT = `
Domain Profile Settings:
----------------------------------------------------------------------
Firewall Policy                       BlockInbound,AllowOutbound

Private Profile Settings:
----------------------------------------------------------------------
Firewall Policy                       BlockInbound,AllowOutbound

Public Profile Settings:
----------------------------------------------------------------------
Firewall Policy                       BlockInboundAlways,AllowOutbound
Ok.
`;

describe('Windows backend: exact calls and commands', () => {
  it('Wintun adapter, address, MTU, routes and full tunnel', async () => {
    const { api, calls } = fakeWintun();
    const runner = new RecordingRunner();
    const b = new Win32Backend({ runner, wintun: api, newGuid: () => GUID });
    const name = await b.createTun(undefined);
    expect(name).toBe('Ferry0');
    await b.bringUp(name, 1400);
    await b.setAddress(name, '10.8.0.2', 32, '10.8.0.1');
    await b.addRoute(b.tunnelRoute(name, '10.1.0.0/16'));
    const hop = await b.nextHop('203.0.113.9');
    expect(hop).toEqual({ via: '192.168.1.1', dev: '4' });
    await b.addRoute(b.serverRoute('203.0.113.9', hop));
    await b.undo({ kind: 'route', ...b.tunnelRoute(name, '10.1.0.0/16') });
    await b.undo({ kind: 'tun', name });
    expect(calls).toEqual([
      `WintunCreateAdapter Ferry0 Ferry ${GUID}`,
      'index Ferry0',
      'GetBestRoute 203.0.113.9',
      'WintunCloseAdapter Ferry0',
    ]);
    expect(runner.argvs()).toEqual([
      ['netsh.exe', 'interface', 'ipv4', 'set', 'subinterface', '17', 'mtu=1400', 'store=active'],
      [
        'netsh.exe',
        'interface',
        'ipv4',
        'set',
        'address',
        'name=17',
        'source=static',
        'address=10.8.0.2',
        'mask=255.255.255.255',
        'gateway=none',
      ],
      [
        'netsh.exe',
        'interface',
        'ipv4',
        'add',
        'route',
        'prefix=10.1.0.0/16',
        'interface=17',
        'nexthop=0.0.0.0',
        'store=active',
      ],
      [
        'netsh.exe',
        'interface',
        'ipv4',
        'add',
        'route',
        'prefix=203.0.113.9/32',
        'interface=4',
        'nexthop=192.168.1.1',
        'store=active',
      ],
      [
        'netsh.exe',
        'interface',
        'ipv4',
        'delete',
        'route',
        'prefix=10.1.0.0/16',
        'interface=17',
        'nexthop=0.0.0.0',
        'store=active',
      ],
    ]);
  });

  it('reports a failed adapter creation', async () => {
    const b = new Win32Backend({
      runner: new RecordingRunner(),
      wintun: fakeWintun({ failCreate: true }).api,
      newGuid: () => GUID,
    });
    await expect(b.createTun(undefined)).rejects.toThrow(/error 5/);
  });

  it('DNS servers, search list and metric; undone back to DHCP', async () => {
    const runner = new RecordingRunner();
    const b = new Win32Backend({ runner, wintun: fakeWintun().api, newGuid: () => GUID });
    const name = await b.createTun(undefined);
    const plan = await b.planDns(name, {
      servers: ['10.8.0.53', '10.8.0.54'],
      searchDomains: ['corp.example', 'lab.example'],
      defaultRoute: true,
    });
    expect(plan.undo).toEqual({ kind: 'win-dns', index: '17', guid: GUID });
    await plan.apply();
    await b.undo(plan.undo);
    const key = `HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\{${GUID}}`;
    expect(runner.argvs()).toEqual([
      [
        'netsh.exe',
        'interface',
        'ipv4',
        'set',
        'dnsservers',
        'name=17',
        'source=static',
        'address=10.8.0.53',
        'register=none',
        'validate=no',
      ],
      [
        'netsh.exe',
        'interface',
        'ipv4',
        'add',
        'dnsservers',
        'name=17',
        'address=10.8.0.54',
        'index=2',
        'validate=no',
      ],
      ['reg.exe', 'add', key, '/v', 'SearchList', '/t', 'REG_SZ', '/d', 'corp.example,lab.example', '/f'],
      ['netsh.exe', 'interface', 'ipv4', 'set', 'interface', '17', 'metric=1'],
      ['netsh.exe', 'interface', 'ipv4', 'set', 'dnsservers', 'name=17', 'source=dhcp'],
      ['reg.exe', 'delete', key, '/v', 'SearchList', '/f'],
    ]);
  });

  it('kill switch: firewall policy saved, allow rules, block outbound; restored exactly', async () => {
    const runner = new RecordingRunner((argv) =>
      argv[2] === 'show' ? { stdout: POLICY_OUTPUT } : undefined,
    );
    const b = new Win32Backend({ runner, wintun: fakeWintun().api, newGuid: () => GUID });
    const name = await b.createTun(undefined);
    await expect(b.planKillSwitch(name, { server: '203.0.113.9', serverPorts: [500, 4500] })).rejects.toThrow(
      /address/,
    );
    await b.setAddress(name, '10.8.0.2', 32);
    runner.calls.length = 0;
    const plan = await b.planKillSwitch(name, { server: '203.0.113.9', serverPorts: [500, 4500] });
    expect(plan.undo).toEqual({
      kind: 'win-firewall',
      rules: ['Ferry kill switch - tunnel', 'Ferry kill switch - server'],
      policies: {
        domain: 'blockinbound,allowoutbound',
        private: 'blockinbound,allowoutbound',
        public: 'blockinboundalways,allowoutbound',
      },
    });
    await plan.apply();
    await b.undo(plan.undo);
    expect(runner.argvs()).toEqual([
      ['netsh.exe', 'advfirewall', 'show', 'allprofiles', 'firewallpolicy'],
      [
        'netsh.exe',
        'advfirewall',
        'firewall',
        'add',
        'rule',
        'name=Ferry kill switch - tunnel',
        'dir=out',
        'action=allow',
        'localip=10.8.0.2',
      ],
      [
        'netsh.exe',
        'advfirewall',
        'firewall',
        'add',
        'rule',
        'name=Ferry kill switch - server',
        'dir=out',
        'action=allow',
        'protocol=udp',
        'remoteip=203.0.113.9',
        'remoteport=500,4500',
      ],
      ['netsh.exe', 'advfirewall', 'set', 'allprofiles', 'firewallpolicy', 'blockinbound,blockoutbound'],
      ['netsh.exe', 'advfirewall', 'set', 'domainprofile', 'firewallpolicy', 'blockinbound,allowoutbound'],
      ['netsh.exe', 'advfirewall', 'set', 'privateprofile', 'firewallpolicy', 'blockinbound,allowoutbound'],
      [
        'netsh.exe',
        'advfirewall',
        'set',
        'publicprofile',
        'firewallpolicy',
        'blockinboundalways,allowoutbound',
      ],
      ['netsh.exe', 'advfirewall', 'firewall', 'delete', 'rule', 'name=Ferry kill switch - tunnel'],
      ['netsh.exe', 'advfirewall', 'firewall', 'delete', 'rule', 'name=Ferry kill switch - server'],
    ]);
  });

  it('encodings: GUID struct, IPv4 DWORDs, firewall policy text', () => {
    expect(encodeGuid(GUID).toString('hex')).toBe('5a2e1c8f4d3b6e4c9a7b0123456789ab');
    expect(() => encodeGuid('nope')).toThrow();
    expect(ipv4ToDword('10.0.0.1')).toBe(0x0100000a);
    expect(dwordToIpv4(0x0100000a)).toBe('10.0.0.1');
    expect(parseFirewallPolicies('Firewall Policy  BlockInbound,AllowOutbound')).toBeNull();
  });
});
