import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  ClientNamespace,
  type ConnectedStatus,
  connectPhasesMs,
  iperf3,
  ping,
  withCpu,
} from '../lab/clientNamespace';
import { type StrongSwanInfo, strongswanLab } from '../lab/strongswan';
import { LAB_ROOT, readPid } from '../lab/sys';
import { describeLab } from '../support/env';

const ns = new ClientNamespace('ferry-cl');
const measured: Record<string, unknown> = {};
let info: StrongSwanInfo;
let baseline: Record<string, string>;

const base = () => ({
  name: 'strongSwan VM',
  server: info.serverAddress,
  userAuth: { username: info.users[0]!.username, methods: ['mschapv2'] },
});
const secrets = () => ({ FERRY_PSK: info.psk, FERRY_PASSWORD: info.users[0]!.password });
const qemuPid = () => readPid(join(LAB_ROOT, 'strongswan'), 'qemu') ?? 0;

describeLab(
  'ferry CLI against strongSwan + xl2tpd + pppd (VM; client namespace, real helper, TUN, ping, iperf3)',
  () => {
    beforeAll(async () => {
      await ns.create();
      info = await strongswanLab.up({ clientNetns: ns.name });
      await ns.start(info.serverAddress);
      baseline = await ns.snapshot();
    });

    // A failed test must not leave its tunnel up for the next one.
    afterEach(() => ns.stopConnects());

    afterAll(async () => {
      await strongswanLab.down();
      await ns.destroy();
      console.log(`ferry CLI / strongSwan measurements: ${JSON.stringify(measured, null, 2)}`);
    });

    it('iperf3 to the VM over the plain lab link (the comparison)', async () => {
      measured.iperf3PlainLinkMbps = {
        clientToServer: await iperf3(ns.name, info.serverAddress),
        serverToClient: await iperf3(ns.name, info.serverAddress, { reverse: true }),
      };
    });

    it('split tunnel: up through the CLI, ping and iperf3 to 10.203.0.1 through the TUN, status, diag, disconnect', async () => {
      const file = ns.writeProfile('ss-split', {
        ...base(),
        id: 'ss-split',
        routing: { mode: 'split', subnets: ['10.203.0.0/24'] },
      });
      const t0 = performance.now();
      const c = ns.connect([file], secrets());
      const up = (await c.waitFor('connected', 180_000)) as unknown as ConnectedStatus;
      const wallMs = Math.round(performance.now() - t0);
      const tun = up.network.tunName;
      expect(up.addresses.peerIp).toBe(info.tunnelPeerAddress);
      expect(up.algorithms).toMatchObject({
        ike: 'aes256-sha256-modp2048',
        natT: 'rfc3947 (forced)',
        pppAuth: 'mschapv2',
      });

      const now = await ns.snapshot();
      expect(now.routes).toContain(`10.203.0.0/24 dev ${tun} `);
      expect(now.routes).toContain(`default via ${info.serverAddress} dev fvm-h`);
      expect(now.rules).toBe(baseline.rules);
      expect(now.nft).toBe(baseline.nft);
      expect(now.resolv).toContain('nameserver 10.203.0.1');

      const p = await ping(ns.name, info.tunnelPeerAddress);
      expect(p.loss).toBe(0);
      const { result: through, cpu } = await withCpu({ ferry: c.pid, qemu: qemuPid() }, () =>
        iperf3(ns.name, info.tunnelPeerAddress),
      );
      expect(through.receivedMbps).toBeGreaterThan(0);
      const { result: reverse, cpu: cpuReverse } = await withCpu({ ferry: c.pid, qemu: qemuPid() }, () =>
        iperf3(ns.name, info.tunnelPeerAddress, { reverse: true }),
      );
      expect(reverse.receivedMbps).toBeGreaterThan(0);

      const st = await ns.ferry(['status', '--json']);
      expect(st.code).toBe(0);
      const status = JSON.parse(st.stdout) as ConnectedStatus;
      expect(status.connection.phases.every((x) => x.result === 'ok')).toBe(true);
      expect(status.connection.phases).toHaveLength(9);
      expect(status.connection.routes).toEqual([`10.203.0.0/24 dev ${tun}`]);
      expect(status.connection.dns).toEqual(['10.203.0.1']);
      expect(status.connection.counters.ip.packetsOut).toBeGreaterThan(1000);
      const diag = await ns.ferry(['diag', '--json']);
      expect(diag.code).toBe(0);
      for (const secret of [info.psk, info.users[0]!.password]) {
        expect(diag.stdout).not.toContain(secret);
        expect(st.stdout).not.toContain(secret);
      }

      const down = await ns.ferry(['disconnect']);
      expect(down.code).toBe(0);
      expect(await c.exited).toBe(0);
      await ns.backToBaseline(baseline);
      measured.split = {
        connectWallMs: wallMs,
        connectPhasesMs: connectPhasesMs(status),
        phasesMs: Object.fromEntries(
          status.connection.phases.map((x) => [x.phase, Math.round(x.durationMs)]),
        ),
        esp: status.algorithms.esp,
        ping: { loss: p.loss, avgMs: p.avgMs, untilFirstReplyMs: p.warmupMs },
        iperf3ThroughTunnelMbps: { clientToServer: through, serverToClient: reverse },
        cpuDuringIperf3: { clientToServer: cpu, serverToClient: cpuReverse },
      };
    });

    it('full tunnel: default through the TUN, server host route on the lab link; kill -9 restores the baseline', async () => {
      const file = ns.writeProfile('ss-full', { ...base(), id: 'ss-full', routing: { mode: 'full' } });
      const t0 = performance.now();
      const c = ns.connect([file], secrets());
      const up = (await c.waitFor('connected', 180_000)) as unknown as ConnectedStatus;
      const wallMs = Math.round(performance.now() - t0);
      const tun = up.network.tunName;
      const now = await ns.snapshot();
      expect(now.routes).toContain(`0.0.0.0/1 dev ${tun} `);
      expect(now.routes).toContain(`128.0.0.0/1 dev ${tun} `);
      expect(now.routes).toContain(`${info.serverAddress} dev fvm-h `);
      expect(now.nft).toBe(baseline.nft);
      expect(now.resolv).toContain('nameserver 10.203.0.1');

      const p = await ping(ns.name, info.tunnelPeerAddress);
      expect(p.loss).toBe(0);
      const { result: through, cpu } = await withCpu({ ferry: c.pid, qemu: qemuPid() }, () =>
        iperf3(ns.name, info.tunnelPeerAddress),
      );

      const t1 = performance.now();
      process.kill(c.pid, 'SIGKILL');
      expect(await c.exited).toBeNull();
      await ns.backToBaseline(baseline);
      measured.full = {
        connectWallMs: wallMs,
        connectPhasesMs: connectPhasesMs(up),
        ping: { loss: p.loss, avgMs: p.avgMs, untilFirstReplyMs: p.warmupMs },
        iperf3ThroughTunnelMbps: through,
        cpuDuringIperf3: cpu,
        kill9ToBaselineMs: Math.round(performance.now() - t1),
      };
    });
  },
);
