/**
 * Real traffic through `ferry connect` from a client namespace (SPEC §7, issue "Real traffic"): time from starting
 * `ferry connect` to the first ping reply through the TUN device, iperf3 TCP throughput through the tunnel next to
 * the same iperf3 over the plain lab link (ratio), and the idle resident memory of the CLI (core) and the helper.
 * Needs root and the lab; takes the machine-wide lab lock. Run: `npx tsx bench/tunnel.ts [softether|strongswan]`.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ClientNamespace, iperf3 } from '../test/lab/clientNamespace';
import { acquireLabLock, releaseLabLock } from '../test/lab/lock';
import { BACKEND_HOST, softetherLab, startBackendHost } from '../test/lab/softether';
import { strongswanLab } from '../test/lab/strongswan';
import { run } from '../test/lab/sys';

type Mbps = Awaited<ReturnType<typeof iperf3>>;

export interface TunnelBenchResult {
  readonly server: string;
  readonly connectToFirstPingMs: number;
  readonly connectedEventMs: number;
  readonly plain: Mbps;
  readonly tunnel: Mbps;
  readonly ratio: number;
  readonly idleRssMiB: { readonly cli: number; readonly helper: number };
}

/** VmRSS of a process in MiB. */
function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

const SETUPS = {
  softether: {
    gateway: '10.201.0.1',
    async up(ns: ClientNamespace) {
      const info = await softetherLab.up({ clientNetns: ns.name });
      await startBackendHost();
      return {
        info,
        target: BACKEND_HOST.address,
        extra: { routing: { mode: 'split', subnets: [BACKEND_HOST.subnet] } },
      };
    },
    down: () => softetherLab.down(),
  },
  strongswan: {
    gateway: '10.202.0.2',
    async up(ns: ClientNamespace) {
      const info = await strongswanLab.up({ clientNetns: ns.name });
      // iperf3 -s runs inside the VM, at its PPP address.
      return { info, target: info.tunnelPeerAddress, extra: {} };
    },
    down: () => strongswanLab.down(),
  },
} as const;

export async function runTunnelBench(server: keyof typeof SETUPS): Promise<TunnelBenchResult> {
  const setup = SETUPS[server];
  const ns = new ClientNamespace('ferry-cl');
  await acquireLabLock();
  try {
    await ns.create();
    const { info, target, extra } = await setup.up(ns);
    await ns.start(setup.gateway);
    // The comparison: the same iperf3 without the tunnel (strongSwan: to the VM's lab address).
    const plain = await iperf3(ns.name, server === 'softether' ? target : info.serverAddress);
    const file = ns.writeProfile(`bench-${server}`, {
      id: `bench-${server}`,
      name: server,
      server: info.serverAddress,
      userAuth: { username: info.users[0]!.username, methods: ['mschapv2'] },
      ...extra,
    });
    const t0 = performance.now();
    const c = ns.connect([file], { FERRY_PSK: info.psk, FERRY_PASSWORD: info.users[0]!.password });
    await c.waitFor('connected', 60_000);
    const connectedEventMs = performance.now() - t0;
    let connectToFirstPingMs = Number.NaN;
    for (let i = 0; i < 100 && Number.isNaN(connectToFirstPingMs); i++) {
      const r = await run(['ping', '-n', '-c', '1', '-W', '1', info.tunnelPeerAddress], {
        netns: ns.name,
        check: false,
      });
      if (r.code === 0) connectToFirstPingMs = performance.now() - t0;
    }
    await new Promise((r) => setTimeout(r, 2000));
    const idleRssMiB = { cli: rssMiB(c.pid), helper: rssMiB(ns.helperProcessId) };
    const tunnel = await iperf3(ns.name, target);
    await ns.stopConnects();
    return {
      server,
      connectToFirstPingMs: Math.round(connectToFirstPingMs),
      connectedEventMs: Math.round(connectedEventMs),
      plain,
      tunnel,
      ratio: tunnel.receivedMbps / plain.receivedMbps,
      idleRssMiB,
    };
  } finally {
    await ns.stopConnects().catch(() => {});
    await setup.down().catch(() => {});
    await ns.destroy().catch(() => {});
    releaseLabLock();
  }
}

export function formatTunnel(r: TunnelBenchResult): string {
  return (
    `${r.server}: ferry connect → first ping reply ${r.connectToFirstPingMs} ms (connected event ${r.connectedEventMs} ms); ` +
    `iperf3 through the tunnel ${r.tunnel.receivedMbps} Mbit/s vs plain link ${r.plain.receivedMbps} Mbit/s = ${r.ratio.toFixed(3)} × plain; ` +
    `idle RSS: ferry CLI (core, run by tsx) ${r.idleRssMiB.cli} MiB, helper ${r.idleRssMiB.helper} MiB`
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const which = (process.argv[2] ?? 'softether') as keyof typeof SETUPS;
  console.log(formatTunnel(await runTunnelBench(which)));
}
