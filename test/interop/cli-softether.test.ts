/**
 * `ferry` for real against SoftEther, from client namespace `ferry-cl` with the real helper and the real CLI
 * inside it: split and full tunnel (with kill switch), iputils `ping` to the SecureNAT gateway and `iperf3` to a
 * host behind the server (through SecureNAT) — both through the TUN device — compared with iperf3 over the plain
 * link; routes, rules, nft ruleset and resolv.conf as the profile says while up and byte-for-byte as before after
 * `ferry disconnect` and after `kill -9`; `ferry status|diag --json`; exit codes per failure class.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  ClientNamespace,
  type ConnectedStatus,
  connectPhasesMs,
  iperf3,
  ping,
  UNPRIVILEGED,
  withCpu,
} from '../lab/clientNamespace';
import { BACKEND_HOST, type SoftEtherInfo, softetherLab, startBackendHost } from '../lab/softether';
import { pidAlive, waitFor } from '../lab/sys';
import { describeLab } from '../support/env';

const ns = new ClientNamespace('ferry-cl');
const GATEWAY = '10.201.0.1';
const measured: Record<string, unknown> = {};
let info: SoftEtherInfo;
let baseline: Record<string, string>;

const base = () => ({
  name: 'SoftEther lab',
  server: info.serverAddress,
  userAuth: { username: info.users[0]!.username, methods: ['mschapv2'] },
  dns: { useServerDns: true, searchDomains: ['vpn.lab.invalid'] },
});
const secrets = () => ({ FERRY_PSK: info.psk, FERRY_PASSWORD: info.users[0]!.password });

describeLab('ferry CLI against SoftEther (client namespace, real helper, TUN, ping, iperf3)', () => {
  beforeAll(async () => {
    await ns.create();
    info = await softetherLab.up({ clientNetns: ns.name });
    await ns.start(GATEWAY);
    await startBackendHost();
    baseline = await ns.snapshot();
  });

  // A failed test must not leave its tunnel up for the next one.
  afterEach(() => ns.stopConnects());

  afterAll(async () => {
    await softetherLab.down();
    await ns.destroy();
    console.log(`ferry CLI / SoftEther measurements: ${JSON.stringify(measured, null, 2)}`);
  });

  it('iperf3 over the plain lab link (the comparison)', async () => {
    const plain = await iperf3(ns.name, BACKEND_HOST.address);
    const plainReverse = await iperf3(ns.name, BACKEND_HOST.address, { reverse: true });
    measured.iperf3PlainLinkMbps = { clientToServer: plain, serverToClient: plainReverse };
    expect(plain.receivedMbps).toBeGreaterThan(0);
  });

  it('split tunnel: up through the CLI, ping and iperf3 through the TUN, status and diag, clean disconnect', async () => {
    const file = ns.writeProfile('se-split', {
      ...base(),
      id: 'se-split',
      routing: { mode: 'split', subnets: [BACKEND_HOST.subnet] },
    });
    const t0 = performance.now();
    const c = ns.connect([file], secrets());
    const up = (await c.waitFor('connected')) as unknown as ConnectedStatus;
    const wallMs = Math.round(performance.now() - t0);
    expect(up.connection.state.kind).toBe('connected');
    const tun = up.network.tunName;
    expect(tun).toMatch(/^ferry\d+$/);

    // As the profile says: the subnet and the peer through the device, DNS from the server, nothing else touched.
    const now = await ns.snapshot();
    expect(now.routes).toContain(`${BACKEND_HOST.subnet} dev ${tun} `);
    expect(now.routes).toMatch(
      new RegExp(
        `${info.tunnelPeerAddress.replace(/\./g, '\\.')} dev ${tun} proto kernel scope link src ${up.addresses.localIp.replace(/\./g, '\\.')}`,
      ),
    );
    expect(now.routes).toContain(`default via ${GATEWAY} dev fse-h`);
    expect(now.rules).toBe(baseline.rules);
    expect(now.nft).toBe(baseline.nft);
    expect(now.resolv).toContain(`nameserver ${info.tunnelPeerAddress}`);
    expect(now.resolv).toContain('search vpn.lab.invalid');

    const p = await ping(ns.name, info.tunnelPeerAddress);
    expect(p.loss).toBe(0);
    const { result: through, cpu } = await withCpu({ ferry: c.pid, vpnserver: info.pid }, () =>
      iperf3(ns.name, BACKEND_HOST.address),
    );
    expect(through.receivedMbps).toBeGreaterThan(0);
    const { result: reverse, cpu: cpuReverse } = await withCpu({ ferry: c.pid, vpnserver: info.pid }, () =>
      iperf3(ns.name, BACKEND_HOST.address, { reverse: true }),
    );
    expect(reverse.receivedMbps).toBeGreaterThan(0);

    const st = await ns.ferry(['status', '--json']);
    expect(st.code).toBe(0);
    const status = JSON.parse(st.stdout) as ConnectedStatus;
    expect(status.connection.phases.map((x) => `${x.phase}:${x.result}`)).toEqual(
      ['ike-phase1', 'quick-mode', 'l2tp-tunnel', 'l2tp-session', 'lcp', 'auth', 'ipcp', 'routes', 'dns'].map(
        (x) => `${x}:ok`,
      ),
    );
    expect(status.algorithms).toMatchObject({
      ike: 'aes256-sha256-modp2048',
      esp: 'aes256-sha1',
      natT: 'rfc3947 (forced)',
      pppAuth: 'mschapv2',
    });
    expect(status.connection.routes).toEqual([`${BACKEND_HOST.subnet} dev ${tun}`]);
    expect(status.connection.dns).toEqual([info.tunnelPeerAddress]);
    // ping + iperf3 went through the device, the pump and ESP.
    expect(status.connection.counters.ip.packetsOut).toBeGreaterThan(1000);
    expect(status.connection.counters.carrier.esp.in.packets).toBeGreaterThan(1000);

    const diag = await ns.ferry(['diag', '--json']);
    expect(diag.code).toBe(0);
    for (const secret of [info.psk, info.users[0]!.password]) {
      expect(diag.stdout).not.toContain(secret);
      expect(st.stdout).not.toContain(secret);
    }
    const bundle = JSON.parse(diag.stdout) as {
      format: string;
      log: unknown[];
      network: { routes: string[] };
    };
    expect(bundle.format).toBe('ferry-diagnostics');
    expect(bundle.log.length).toBeGreaterThan(20);

    const human = await ns.ferry(['status']);
    expect(human.stdout).toContain('connected');

    const t1 = performance.now();
    const down = await ns.ferry(['disconnect']);
    expect(down.code).toBe(0);
    expect(await c.exited).toBe(0);
    const restoredMs = Math.round(performance.now() - t1);
    await ns.backToBaseline(baseline);
    const logs = `${c.stdout()}${c.stderr()}`;
    for (const secret of [info.psk, info.users[0]!.password]) expect(logs).not.toContain(secret);
    measured.split = {
      connectWallMs: wallMs,
      connectPhasesMs: connectPhasesMs(status),
      phasesMs: Object.fromEntries(status.connection.phases.map((x) => [x.phase, Math.round(x.durationMs)])),
      ping: { loss: p.loss, avgMs: p.avgMs, untilFirstReplyMs: p.warmupMs },
      iperf3ThroughTunnelMbps: { clientToServer: through, serverToClient: reverse },
      cpuDuringIperf3: { clientToServer: cpu, serverToClient: cpuReverse },
      disconnectToExitMs: restoredMs,
    };
  });

  it('as an unprivileged user (nobody): the helper passes the TUN descriptor, the tunnel works, disconnect restores', async () => {
    const file = ns.writeProfile('se-user', {
      ...base(),
      id: 'se-user',
      routing: { mode: 'split', subnets: [BACKEND_HOST.subnet] },
    });
    const as = { uid: UNPRIVILEGED };
    const c = ns.connect([file], secrets(), as);
    const up = (await c.waitFor('connected')) as unknown as ConnectedStatus;
    expect(up.connection.state.kind).toBe('connected');
    // /dev/net/tun is 0600 here: attaching by name cannot work for nobody; the descriptor came over the socket.
    expect(readFileSync(ns.logFile(UNPRIVILEGED), 'utf8')).toMatch(
      /tun attached \{"name":"ferry\d+","via":"fd-passing"\}/,
    );
    expect((await ping(ns.name, info.tunnelPeerAddress)).loss).toBe(0);
    const st = await ns.ferry(['status', '--json'], {}, as);
    expect(JSON.parse(st.stdout)).toMatchObject({ pid: c.pid, connection: { state: { kind: 'connected' } } });
    // Root's control socket is another one: nothing runs there.
    expect((await ns.ferry(['status'])).code).toBe(5);
    expect((await ns.ferry(['disconnect'], {}, as)).code).toBe(0);
    expect(await c.exited).toBe(0);
    await ns.backToBaseline(baseline);
  });

  it('full tunnel with kill switch: default through the TUN, server route via the original path; kill -9 restores', async () => {
    const file = ns.writeProfile('se-full', {
      ...base(),
      id: 'se-full',
      routing: { mode: 'full' },
      killSwitch: true,
    });
    const t0 = performance.now();
    const c = ns.connect([file], secrets());
    const up = (await c.waitFor('connected')) as unknown as ConnectedStatus;
    const wallMs = Math.round(performance.now() - t0);
    const tun = up.network.tunName;
    const now = await ns.snapshot();
    expect(now.routes).toContain(`0.0.0.0/1 dev ${tun} `);
    expect(now.routes).toContain(`128.0.0.0/1 dev ${tun} `);
    expect(now.routes).toContain(`${info.serverAddress} dev fse-h `);
    expect(now.routes).toContain(`default via ${GATEWAY} dev fse-h`);
    expect(now.rules).toBe(baseline.rules);
    expect(now.nft).toContain('table inet ferry_killswitch');
    expect(now.nft).toContain(`oifname "${tun}" accept`);
    expect(now.resolv).toContain(`nameserver ${info.tunnelPeerAddress}`);
    expect(up.connection.routes).toEqual([
      `0.0.0.0/1 dev ${tun}`,
      `128.0.0.0/1 dev ${tun}`,
      `${info.serverAddress}/32 dev fse-h`,
    ]);
    expect(up.network.killSwitch).toBe(true);

    const p = await ping(ns.name, info.tunnelPeerAddress);
    expect(p.loss).toBe(0);
    const { result: through, cpu } = await withCpu({ ferry: c.pid, vpnserver: info.pid }, () =>
      iperf3(ns.name, BACKEND_HOST.address),
    );
    expect(through.receivedMbps).toBeGreaterThan(0);

    const t1 = performance.now();
    process.kill(c.pid, 'SIGKILL');
    expect(await c.exited).toBeNull();
    const restoredMs = await ns.backToBaseline(baseline);
    measured.full = {
      connectWallMs: wallMs,
      connectPhasesMs: connectPhasesMs(up),
      ping: { loss: p.loss, avgMs: p.avgMs, untilFirstReplyMs: p.warmupMs },
      iperf3ThroughTunnelMbps: through,
      cpuDuringIperf3: cpu,
      kill9ToBaselineMs: Math.round(performance.now() - t1),
      baselinePollMs: restoredMs,
    };
    // The stale control socket of the killed process does not block the next connect, and says nothing runs.
    const st = await ns.ferry(['status']);
    expect(st.code).toBe(5);
  });

  it('SIGTERM while connected: clean disconnect, exit 0, baseline restored', async () => {
    const file = ns.writeProfile('se-term', { ...base(), id: 'se-term', routing: { mode: 'full' } });
    const c = ns.connect([file], secrets());
    await c.waitFor('connected');
    process.kill(c.pid, 'SIGTERM');
    expect(await c.exited).toBe(0);
    await ns.backToBaseline(baseline);
    expect(c.events.at(-1)).toMatchObject({ event: 'disconnected' });
  });

  it('--background: returns once connected, the detached process keeps the tunnel; ferry disconnect ends it', async () => {
    const file = ns.writeProfile('se-bg', {
      ...base(),
      id: 'se-bg',
      routing: { mode: 'split', subnets: [BACKEND_HOST.subnet] },
    });
    const t0 = performance.now();
    const bg = await ns.ferry(['connect', file, '--background', '--json'], secrets());
    measured.backgroundConnectMs = Math.round(performance.now() - t0);
    expect(bg.code).toBe(0);
    const up = JSON.parse(bg.stdout.trim().split('\n').at(-1)!) as {
      event: string;
      pid: number;
      background: boolean;
    };
    expect(up).toMatchObject({ event: 'connected', background: true });
    expect(up.pid).not.toBe(0);
    const st = await ns.ferry(['status', '--json']);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({
      pid: up.pid,
      connection: { state: { kind: 'connected' } },
    });
    expect((await ping(ns.name, info.tunnelPeerAddress)).loss).toBe(0);
    // The secrets went to the child on a pipe: neither its command line nor its environment holds them.
    const cmdline = readFileSync(`/proc/${up.pid}/cmdline`, 'utf8');
    const environ = readFileSync(`/proc/${up.pid}/environ`, 'utf8');
    for (const secret of [info.psk, info.users[0]!.password]) {
      expect(cmdline).not.toContain(secret);
      expect(environ).not.toContain(secret);
    }
    expect((await ns.ferry(['disconnect'])).code).toBe(0);
    await waitFor('the background process to exit', async () => !pidAlive(up.pid), 10_000, 20);
    await ns.backToBaseline(baseline);
  });

  it('a second ferry connect while one runs is refused (exit 6)', async () => {
    const file = ns.writeProfile('se-twice', {
      ...base(),
      id: 'se-twice',
      routing: { mode: 'split', subnets: [BACKEND_HOST.subnet] },
    });
    const c = ns.connect([file], secrets());
    await c.waitFor('connected');
    const second = await ns.ferry(['connect', file], secrets());
    expect(second.code).toBe(6);
    expect((await ns.ferry(['disconnect'])).code).toBe(0);
    expect(await c.exited).toBe(0);
    await ns.backToBaseline(baseline);
  });

  it('wrong PSK → exit 10 (IKE), wrong password → exit 13 (PPP auth), invalid file → exit 3 with field errors', async () => {
    const file = ns.writeProfile('se-codes', {
      ...base(),
      id: 'se-codes',
      routing: { mode: 'split', subnets: [BACKEND_HOST.subnet] },
    });
    const t0 = performance.now();
    const psk = await ns.ferry(['connect', file, '--json'], {
      ...secrets(),
      FERRY_PSK: 'definitely-not-the-psk',
    });
    measured.wrongPsk = {
      exit: psk.code,
      ms: Math.round(performance.now() - t0),
      error: JSON.parse(psk.stdout.trim().split('\n').at(-1)!).error,
    };
    expect(psk.code).toBe(10);
    expect(`${psk.stdout}${psk.stderr}`).not.toContain('definitely-not-the-psk');

    const pw = await ns.ferry(['connect', file], { ...secrets(), FERRY_PASSWORD: 'definitely-wrong-pw' });
    expect(pw.code).toBe(13);
    expect(pw.stderr).toContain('PPP authentication');
    expect(`${pw.stdout}${pw.stderr}`).not.toContain('definitely-wrong-pw');

    const bad = ns.writeProfile('se-bad', {
      ...base(),
      id: 'se-bad',
      server: 'no such host!',
      mtu: 70000,
      routing: { mode: 'split', subnets: ['10.204.0.1/33'] },
    });
    const inv = await ns.ferry(['connect', bad], secrets());
    expect(inv.code).toBe(3);
    expect(inv.stderr).toContain('profile.server: not an IPv4 address or host name');
    expect(inv.stderr).toContain('profile.mtu');
    expect(inv.stderr).toContain('profile.routing.subnets.0');

    const missing = await ns.ferry(['connect', file], { FERRY_PSK: '', FERRY_PASSWORD: '' });
    expect(missing.code).toBe(4);
    await ns.backToBaseline(baseline);
  });
});
