import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/common/log';
import { LinuxBackend } from '../../../main/helper/linux/backend';
import { parseBatchErrors, parseRouteGet } from '../../../main/helper/linux/commands';
import { type FileOps, renderResolvConf, restoreResolvConf } from '../../../main/helper/linux/dns';
import { killSwitchRuleset, mssClampRuleset } from '../../../main/helper/linux/nftRules';
import type { TunSyscalls } from '../../../main/helper/linux/tunDevice';
import { RecordingRunner } from './fakes';

function memFiles(initial: Record<string, string>): FileOps & { files: Map<string, Buffer>; writes: number } {
  const files = new Map(Object.entries(initial).map(([k, v]) => [k, Buffer.from(v)]));
  const ops = {
    files,
    writes: 0,
    read: (p: string) => {
      const b = files.get(p);
      if (!b) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return Buffer.from(b);
    },
    write: (p: string, d: Buffer) => {
      ops.writes++;
      files.set(p, Buffer.from(d));
    },
  };
  return ops;
}

function backend(
  opts: { resolved?: boolean; respond?: ConstructorParameters<typeof RecordingRunner>[0] } = {},
) {
  const runner = new RecordingRunner(opts.respond);
  const tunCalls: string[] = [];
  const tun: TunSyscalls = {
    create: (pattern, owner) => {
      tunCalls.push(`create ${pattern} ${owner ? `${owner.uid}:${owner.gid ?? '-'}` : 'none'}`);
      return 'ferry3';
    },
    attach: (name) => {
      tunCalls.push(`attach ${name}`);
      return 42;
    },
  };
  const files = memFiles({
    '/etc/resolv.conf': 'nameserver 192.0.2.53\nsearch home.example\n# no newline at end',
  });
  const b = new LinuxBackend({
    runner,
    tun,
    files,
    resolved: () => opts.resolved ?? false,
    logger: silentLogger,
  });
  return { b, runner, tunCalls, files };
}

describe('Linux backend: exact commands', () => {
  it('device, address, MTU and routes', async () => {
    const { b, runner, tunCalls } = backend();
    expect(await b.createTun({ uid: 1000, gid: 1000 })).toBe('ferry3');
    expect(tunCalls).toEqual(['create ferry%d 1000:1000']);
    await b.bringUp('ferry3', 1400);
    await b.setAddress('ferry3', '10.8.0.2', 32, '10.8.0.1');
    await b.setAddress('ferry3', '10.9.0.2', 24);
    await b.setMtu('ferry3', 1380);
    expect(await b.addRoute(b.tunnelRoute('ferry3', '10.1.0.0/16'))).toBe('added');
    expect(await b.addRoute(b.serverRoute('203.0.113.9', { via: '192.0.2.1', dev: 'eth0' }))).toBe('added');
    expect(await b.addRoute(b.serverRoute('203.0.113.9', { via: null, dev: 'eth0' }))).toBe('added');
    expect(await b.openTunFd('ferry3')).toBe(42);
    expect(runner.argvs()).toEqual([
      ['ip', 'link', 'set', 'dev', 'ferry3', 'mtu', '1400'],
      ['ip', 'link', 'set', 'dev', 'ferry3', 'up'],
      ['ip', '-4', 'addr', 'flush', 'dev', 'ferry3'],
      ['ip', '-4', 'addr', 'add', '10.8.0.2', 'peer', '10.8.0.1/32', 'dev', 'ferry3'],
      ['ip', '-4', 'addr', 'flush', 'dev', 'ferry3'],
      ['ip', '-4', 'addr', 'add', '10.9.0.2/24', 'dev', 'ferry3'],
      ['ip', 'link', 'set', 'dev', 'ferry3', 'mtu', '1380'],
      ['ip', '-4', 'route', 'add', '10.1.0.0/16', 'dev', 'ferry3'],
      ['ip', '-4', 'route', 'add', '203.0.113.9/32', 'via', '192.0.2.1', 'dev', 'eth0'],
      ['ip', '-4', 'route', 'add', '203.0.113.9/32', 'dev', 'eth0'],
    ]);
  });

  it('route lookup, existing routes and undo of routes, tables and devices', async () => {
    const { b, runner } = backend({
      respond: (argv) => {
        if (argv[4] === 'get')
          return { stdout: '203.0.113.9 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0 \\    cache \n' };
        if (argv[3] === 'add') return { code: 2, stderr: 'RTNETLINK answers: File exists\n' };
        if (argv[2] === 'delete')
          return { code: 1, stderr: 'Error: Could not process rule: No such file or directory\n' };
        if (argv[1] === 'link' && argv[2] === 'delete')
          return { code: 1, stderr: 'Cannot find device "ferry3"\n' };
        if (argv[3] === 'delete') return { code: 2, stderr: 'RTNETLINK answers: No such process\n' };
        return undefined;
      },
    });
    expect(await b.nextHop('203.0.113.9')).toEqual({ via: '192.0.2.1', dev: 'eth0' });
    expect(await b.addRoute({ cidr: '10.1.0.0/16', dev: 'ferry3' })).toBe('existed');
    // undo tolerates "already gone"
    await b.undo({ kind: 'route', cidr: '0.0.0.0/1', dev: 'ferry3' });
    await b.undo({ kind: 'nft-table', family: 'inet', table: 'ferry_killswitch' });
    await b.undo({ kind: 'tun', name: 'ferry3' });
    expect(runner.argvs().slice(2)).toEqual([
      ['ip', '-4', 'route', 'delete', '0.0.0.0/1', 'dev', 'ferry3'],
      ['nft', 'delete', 'table', 'inet', 'ferry_killswitch'],
      ['ip', 'link', 'delete', 'dev', 'ferry3'],
    ]);
  });

  it('an undo that fails for another reason is reported', async () => {
    const { b } = backend({
      respond: () => ({ code: 2, stderr: 'RTNETLINK answers: Operation not permitted' }),
    });
    await expect(b.undo({ kind: 'route', cidr: '10.0.0.0/8', dev: 'ferry3' })).rejects.toThrow(
      /not permitted/,
    );
    await expect(b.addRoute({ cidr: '10.0.0.0/8', dev: 'ferry3' })).rejects.toThrow(/not permitted/);
  });

  it('kill switch and MSS clamping load our own nft tables from stdin', async () => {
    const { b, runner } = backend();
    const ks = await b.planKillSwitch('ferry3', { server: '203.0.113.9', serverPorts: [500, 4500] });
    expect(ks.undo).toEqual({ kind: 'nft-table', family: 'inet', table: 'ferry_killswitch' });
    await ks.apply();
    const mss = b.planMssClamp('ferry3');
    expect(mss.undo).toEqual({ kind: 'nft-table', family: 'inet', table: 'ferry_mss_ferry3' });
    await mss.apply();
    expect(runner.calls).toEqual([
      {
        argv: ['nft', '-f', '-'],
        input: killSwitchRuleset('ferry3', { server: '203.0.113.9', serverPorts: [500, 4500] }),
      },
      { argv: ['nft', '-f', '-'], input: mssClampRuleset('ferry3') },
    ]);
    const rules = runner.calls[0]!.input!;
    expect(rules).toContain('type filter hook output priority filter; policy drop;');
    expect(rules).toContain('oifname "ferry3" accept');
    expect(rules).toContain('ip daddr 203.0.113.9 udp dport { 500, 4500 } accept');
    expect(rules).toContain('ip saddr 203.0.113.9 udp sport { 500, 4500 } accept');
    expect(rules.startsWith('table inet ferry_killswitch\ndelete table inet ferry_killswitch\n')).toBe(true);
    expect(runner.calls[1]!.input).toContain('tcp option maxseg size set rt mtu');
  });

  it('DNS through systemd-resolved when it runs', async () => {
    const { b, runner, files } = backend({ resolved: true });
    const full = await b.planDns('ferry3', {
      servers: ['10.8.0.53', '10.8.0.54'],
      searchDomains: ['corp.example'],
      defaultRoute: true,
    });
    expect(full.undo).toEqual({ kind: 'dns-resolved', link: 'ferry3' });
    await full.apply();
    const split = await b.planDns('ferry3', {
      servers: ['10.8.0.53'],
      searchDomains: [],
      defaultRoute: false,
    });
    await split.apply();
    await b.undo(full.undo);
    expect(runner.argvs()).toEqual([
      ['resolvectl', 'dns', 'ferry3', '10.8.0.53', '10.8.0.54'],
      ['resolvectl', 'domain', 'ferry3', 'corp.example', '~.'],
      ['resolvectl', 'default-route', 'ferry3', 'yes'],
      ['resolvectl', 'dns', 'ferry3', '10.8.0.53'],
      ['resolvectl', 'default-route', 'ferry3', 'no'],
      ['resolvectl', 'revert', 'ferry3'],
    ]);
    expect(files.writes).toBe(0);
  });

  it('DNS through resolv.conf: written in place, restored byte for byte', async () => {
    const { b, runner, files } = backend();
    const original = files.files.get('/etc/resolv.conf')!;
    const plan = await b.planDns('ferry3', {
      servers: ['10.8.0.53'],
      searchDomains: ['corp.example', 'lab.example'],
      defaultRoute: true,
    });
    expect(plan.undo.kind).toBe('dns-file');
    await plan.apply();
    expect(files.files.get('/etc/resolv.conf')!.toString()).toBe(
      '# Written by Ferry for ferry3; the previous file is put back when the tunnel closes.\nnameserver 10.8.0.53\nsearch corp.example lab.example\n',
    );
    // the undo record survives a JSON round trip (state file)
    await b.undo(JSON.parse(JSON.stringify(plan.undo)));
    expect(files.files.get('/etc/resolv.conf')!.equals(original)).toBe(true);
    expect(runner.calls).toEqual([]);
  });

  it('resolv.conf restore leaves a file someone else rewrote meanwhile', () => {
    const files = memFiles({ '/r': 'theirs\n' });
    const original = Buffer.from('original\n');
    const written = renderResolvConf('ferry0', {
      servers: ['10.0.0.1'],
      searchDomains: [],
      defaultRoute: true,
    });
    expect(restoreResolvConf(files, '/r', original, written)).toBe('changed-by-someone-else');
    expect(files.files.get('/r')!.toString()).toBe('theirs\n');
    files.files.set('/r', Buffer.from(original));
    expect(restoreResolvConf(files, '/r', original, written)).toBe('untouched');
    files.files.set('/r', Buffer.from(written));
    expect(restoreResolvConf(files, '/r', original, written)).toBe('restored');
    files.files.delete('/r');
    expect(restoreResolvConf(files, '/r', original, written)).toBe('restored');
    expect(files.files.get('/r')!.equals(original)).toBe(true);
  });

  it('route batches: one `ip -batch` exec, an outcome per line', async () => {
    const { b, runner } = backend({
      respond: (argv, input) =>
        argv.includes('-batch')
          ? input?.startsWith('route add')
            ? {
                code: 1,
                stderr:
                  'RTNETLINK answers: File exists\nCommand failed -:2\nError: Nexthop has invalid gateway.\nCommand failed -:3\n',
              }
            : { code: 1, stderr: 'RTNETLINK answers: No such process\nCommand failed -:1\n' }
          : undefined,
    });
    const routes = [
      { cidr: '10.1.0.0/16', dev: 'ferry3' },
      { cidr: '10.2.0.0/16', dev: 'ferry3' },
      { cidr: '203.0.113.9/32', dev: 'eth0', via: '192.0.2.1' },
    ];
    const outcomes = await b.addRoutes(routes);
    expect(outcomes.slice(0, 2)).toEqual(['added', 'existed']);
    expect(outcomes[2]).toBeInstanceOf(Error);
    expect((outcomes[2] as Error).message).toMatch(/invalid gateway/);
    expect(await b.removeRoutes(routes)).toEqual([null, null, null]);
    expect(runner.calls).toEqual([
      {
        argv: ['ip', '-4', '-force', '-batch', '-'],
        input:
          'route add 10.1.0.0/16 dev ferry3\nroute add 10.2.0.0/16 dev ferry3\nroute add 203.0.113.9/32 via 192.0.2.1 dev eth0\n',
      },
      {
        argv: ['ip', '-4', '-force', '-batch', '-'],
        input:
          'route delete 10.1.0.0/16 dev ferry3\nroute delete 10.2.0.0/16 dev ferry3\nroute delete 203.0.113.9/32 via 192.0.2.1 dev eth0\n',
      },
    ]);
  });

  it('parses ip -batch error reports', () => {
    expect(parseBatchErrors('', 2)).toEqual([null, null]);
    expect(parseBatchErrors('Cannot find device "x"\nCommand failed -:2\nCommand failed -:9\n', 2)).toEqual([
      null,
      'Cannot find device "x"',
    ]);
  });

  it('parses ip route get output', () => {
    expect(parseRouteGet('10.0.0.9 via 10.0.0.1 dev eth0 src 10.0.0.2 uid 0 \\    cache')).toEqual({
      via: '10.0.0.1',
      dev: 'eth0',
    });
    expect(parseRouteGet('10.0.0.9 dev eth0 src 10.0.0.2 uid 0 \\    cache')).toEqual({
      via: null,
      dev: 'eth0',
    });
    expect(parseRouteGet('unreachable 10.0.0.9 uid 0')).toBeNull();
    expect(parseRouteGet('')).toBeNull();
  });
});
