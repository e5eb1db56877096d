import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/common/log';
import { DarwinBackend } from '../../../main/helper/darwin/backend';
import { parsePfToken, parseRouteGet, prefixToMask } from '../../../main/helper/darwin/commands';
import { CTLIOCGINFO, type DarwinSys, openUtun } from '../../../main/helper/darwin/utun';
import { RecordingRunner } from './fakes';

/** A fake libSystem that records each call with the bytes it was given, and answers like xnu. */
function fakeSys(opts: { failConnect?: boolean } = {}) {
  const calls: string[] = [];
  const sys: DarwinSys = {
    socket: (d, t, p) => {
      calls.push(`socket ${d} ${t} ${p}`);
      return 7;
    },
    ioctl: (fd, req, arg) => {
      calls.push(`ioctl ${fd} 0x${req.toString(16)} ${arg.subarray(4, 30).toString('latin1')}`);
      arg.writeUInt32LE(0x1234, 0); // ctl_id
      return 0;
    },
    connect: (fd, addr, len) => {
      calls.push(`connect ${fd} ${addr.toString('hex')} ${len}`);
      return opts.failConnect ? -1 : 0;
    },
    getsockopt: (fd, level, name, value, len) => {
      calls.push(`getsockopt ${fd} ${level} ${name} ${len[0]}`);
      value.write('utun5\0', 0, 'latin1');
      len[0] = 6;
      return 0;
    },
    fcntl: (fd, cmd, arg) => {
      calls.push(`fcntl ${fd} ${cmd} ${arg}`);
      return 0;
    },
    close: (fd) => {
      calls.push(`close ${fd}`);
      return 0;
    },
    errno: () => 1,
  };
  return { sys, calls };
}

describe('macOS backend: exact calls and commands', () => {
  it('opens a utun through a PF_SYSTEM control socket', () => {
    const { sys, calls } = fakeSys();
    expect(openUtun(sys)).toEqual({ fd: 7, name: 'utun5' });
    expect(CTLIOCGINFO).toBe(0xc0644e03);
    expect(calls).toEqual([
      'socket 32 2 2',
      'ioctl 7 0xc0644e03 com.apple.net.utun_control',
      // sockaddr_ctl: sc_len 32, AF_SYSTEM, AF_SYS_CONTROL, ctl_id 0x1234, unit 0 (kernel picks), reserved
      `connect 7 2020020034120000${'00'.repeat(24)} 32`,
      'getsockopt 7 2 2 16',
      'fcntl 7 2 1',
    ]);
  });

  it('closes the socket when the kernel refuses', () => {
    const { sys, calls } = fakeSys({ failConnect: true });
    expect(() => openUtun(sys)).toThrow(/connect/);
    expect(calls.at(-1)).toBe('close 7');
  });

  it('address, MTU, routes, full tunnel host route and undo', async () => {
    const { sys, calls } = fakeSys();
    const runner = new RecordingRunner((argv) =>
      argv[2] === 'get'
        ? {
            stdout:
              '   route to: 203.0.113.9\ndestination: default\n    gateway: 192.168.1.1\n  interface: en0\n',
          }
        : undefined,
    );
    const b = new DarwinBackend({ runner, sys, logger: silentLogger });
    const name = await b.createTun(undefined);
    await b.bringUp(name, 1400);
    await b.setAddress(name, '10.8.0.2', 32, '10.8.0.1');
    await b.setMtu(name, 1380);
    await b.addRoute(b.tunnelRoute(name, '10.1.0.0/16'));
    const hop = await b.nextHop('203.0.113.9');
    expect(hop).toEqual({ via: '192.168.1.1', dev: 'en0' });
    await b.addRoute(b.serverRoute('203.0.113.9', hop));
    await b.addRoute(b.tunnelRoute(name, '0.0.0.0/1'));
    await b.undo({ kind: 'route', ...b.tunnelRoute(name, '0.0.0.0/1') });
    await b.undo({ kind: 'route', ...b.serverRoute('203.0.113.9', hop) });
    await b.undo({ kind: 'tun', name });
    expect(runner.argvs()).toEqual([
      ['/sbin/ifconfig', 'utun5', 'mtu', '1400', 'up'],
      ['/sbin/ifconfig', 'utun5', 'inet', '10.8.0.2', '10.8.0.1', 'netmask', '255.255.255.255', 'up'],
      ['/sbin/ifconfig', 'utun5', 'mtu', '1380'],
      ['/sbin/route', '-n', 'add', '-net', '10.1.0.0/16', '-interface', 'utun5'],
      ['/sbin/route', '-n', 'get', '203.0.113.9'],
      ['/sbin/route', '-n', 'add', '-host', '203.0.113.9', '192.168.1.1'],
      ['/sbin/route', '-n', 'add', '-net', '0.0.0.0/1', '-interface', 'utun5'],
      ['/sbin/route', '-n', 'delete', '-net', '0.0.0.0/1', '-interface', 'utun5'],
      ['/sbin/route', '-n', 'delete', '-host', '203.0.113.9', '192.168.1.1'],
    ]);
    expect(calls.at(-1)).toBe('close 7'); // the utun goes with its fd
  });

  it('route add/delete: existing and already-gone answers', async () => {
    const runner = new RecordingRunner((argv) =>
      argv[2] === 'add'
        ? { code: 1, stderr: 'route: writing to routing socket: File exists' }
        : { code: 1, stderr: 'route: writing to routing socket: not in table' },
    );
    const b = new DarwinBackend({ runner, sys: fakeSys().sys, logger: silentLogger });
    expect(await b.addRoute({ cidr: '10.0.0.0/8', dev: 'utun5' })).toBe('existed');
    await b.undo({ kind: 'route', cidr: '10.0.0.0/8', dev: 'utun5' });
  });

  it('DNS through scutil: full tunnel takes the primary service, split uses match domains', async () => {
    const runner = new RecordingRunner();
    const b = new DarwinBackend({ runner, sys: fakeSys().sys, logger: silentLogger });
    const name = await b.createTun(undefined);
    await b.setAddress(name, '10.8.0.2', 32);
    const full = await b.planDns(name, {
      servers: ['10.8.0.53', '10.8.0.54'],
      searchDomains: ['corp.example'],
      defaultRoute: true,
    });
    expect(full.undo).toEqual({
      kind: 'scutil-keys',
      keys: ['State:/Network/Service/ferry.utun5/DNS', 'State:/Network/Service/ferry.utun5/IPv4'],
    });
    await full.apply();
    const split = await b.planDns(name, {
      servers: ['10.8.0.53'],
      searchDomains: ['corp.example'],
      defaultRoute: false,
    });
    await split.apply();
    await b.undo(full.undo);
    const scutil = runner.calls.filter((c) => c.argv[0] === '/usr/sbin/scutil');
    expect(scutil.map((c) => c.argv)).toEqual([
      ['/usr/sbin/scutil'],
      ['/usr/sbin/scutil'],
      ['/usr/sbin/scutil'],
    ]);
    expect(scutil[0]!.input).toBe(
      [
        'd.init',
        'd.add ServerAddresses * 10.8.0.53 10.8.0.54',
        'd.add SearchDomains * corp.example',
        'd.add DomainName corp.example',
        'set State:/Network/Service/ferry.utun5/DNS',
        'd.init',
        'd.add Addresses * 10.8.0.2',
        'd.add InterfaceName utun5',
        'd.add OverridePrimary # 1',
        'set State:/Network/Service/ferry.utun5/IPv4',
        'quit',
        '',
      ].join('\n'),
    );
    expect(scutil[1]!.input).toContain(
      'd.add SupplementalMatchDomains * corp.example\nset State:/Network/Service/ferry.utun5/DNS\nquit\n',
    );
    expect(scutil[2]!.input).toBe(
      'remove State:/Network/Service/ferry.utun5/DNS\nremove State:/Network/Service/ferry.utun5/IPv4\nquit\n',
    );
  });

  it('kill switch: a pf anchor, a pf reference token, both released on undo', async () => {
    const runner = new RecordingRunner((argv) =>
      argv[1] === '-E' ? { stderr: 'pf enabled\nToken : 13927418925346580\n' } : undefined,
    );
    const b = new DarwinBackend({ runner, sys: fakeSys().sys, logger: silentLogger });
    const plan = await b.planKillSwitch('utun5', { server: '203.0.113.9', serverPorts: [500, 4500] });
    const refined = await plan.apply();
    expect(refined).toEqual({
      kind: 'pf-anchor',
      anchor: 'com.apple/ferry.killswitch',
      token: '13927418925346580',
    });
    await b.undo(refined!);
    expect(runner.calls).toEqual([
      {
        argv: ['/sbin/pfctl', '-a', 'com.apple/ferry.killswitch', '-f', '-'],
        input: [
          'pass quick on lo0 all',
          'pass quick on utun5 all',
          'pass out quick proto udp from any to 203.0.113.9 port { 500 4500 }',
          'pass in quick proto udp from 203.0.113.9 port { 500 4500 } to any',
          'block drop quick all',
          '',
        ].join('\n'),
      },
      { argv: ['/sbin/pfctl', '-E'] },
      { argv: ['/sbin/pfctl', '-a', 'com.apple/ferry.killswitch', '-F', 'all'] },
      { argv: ['/sbin/pfctl', '-X', '13927418925346580'] },
    ]);
  });

  it('parsers', () => {
    expect(prefixToMask(24)).toBe('255.255.255.0');
    expect(prefixToMask(1)).toBe('128.0.0.0');
    expect(parseRouteGet('  interface: en0\n    gateway: fe80::1%en0\n')).toEqual({ via: null, dev: 'en0' });
    expect(parseRouteGet('route: writing to routing socket: not in table')).toBeNull();
    expect(parsePfToken('No ALTQ support in kernel\npf enabled\nToken : 42\n')).toBe('42');
    expect(parsePfToken('')).toBeNull();
  });
});
