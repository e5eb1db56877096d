/**
 * Connect latency against the real lab servers (SPEC §7): N connect/disconnect cycles with the production stack
 * (Connection + ipsecCarrier), the median of each phase, the total, and the client's own CPU time per connect
 * (process.cpuUsage across the connect: what Ferry spends, as opposed to waiting for the server).
 * Needs root and the lab; takes the machine-wide lab lock. Run: `npx tsx bench/connect.ts [softether|strongswan]`.
 */
import { pathToFileURL } from 'node:url';
import type { ConnectPhase } from '../core/common/errors';
import { Connection } from '../core/connection/connection';
import { ipsecCarrier } from '../core/connection/ipsecCarrier';
import { loadLegacyPrimitives } from '../core/ppp/crypto/legacy';
import { parseProfile } from '../core/profile/schema';
import { acquireLabLock, releaseLabLock } from '../test/lab/lock';
import { softetherLab } from '../test/lab/softether';
import { strongswanLab } from '../test/lab/strongswan';
import type { LabInfo, LabServer } from '../test/lab/types';

export interface ConnectBenchResult {
  readonly server: string;
  readonly runs: number;
  /** Median milliseconds per phase (phases that ran). */
  readonly phases: Partial<Record<ConnectPhase, number>>;
  readonly totalMs: number;
  /** Median client CPU milliseconds per connect (user + system). */
  readonly clientCpuMs: number;
  /** Resident set size with one connection up and idle. */
  readonly rssMiB: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

const LABS: Record<string, { lab: LabServer; upOptions: Record<string, unknown> }> = {
  softether: { lab: softetherLab as LabServer, upOptions: {} },
  strongswan: { lab: strongswanLab as LabServer, upOptions: {} },
};

export async function runConnectBench(
  server: 'softether' | 'strongswan',
  runs: number,
): Promise<ConnectBenchResult> {
  const { lab, upOptions } = LABS[server]!;
  await acquireLabLock();
  let info: LabInfo;
  try {
    info = await lab.up(upOptions);
  } catch (e) {
    releaseLabLock();
    throw e;
  }
  try {
    const profile = parseProfile({
      id: `bench-${server}`,
      name: server,
      server: info.serverAddress,
      userAuth: { username: info.users[0]!.username },
    });
    if (!profile.ok) throw new Error('bench profile invalid');
    const primitives = await loadLegacyPrimitives();
    const perPhase = new Map<ConnectPhase, number[]>();
    const totals: number[] = [];
    const cpu: number[] = [];
    let rss = 0;
    for (let i = 0; i < runs; i++) {
      const conn = new Connection({
        profile: profile.value,
        secrets: { password: info.users[0]!.password },
        carrier: ipsecCarrier({ profile: profile.value, psk: info.psk }),
        pppPrimitives: primitives,
      });
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await conn.connect();
      totals.push(performance.now() - t0);
      const c1 = process.cpuUsage(c0);
      cpu.push((c1.user + c1.system) / 1000);
      for (const p of conn.phases()) {
        if (p.result !== 'ok' || p.durationMs === null) continue;
        perPhase.set(p.phase, [...(perPhase.get(p.phase) ?? []), p.durationMs]);
      }
      if (i === runs - 1) {
        await new Promise((r) => setTimeout(r, 1000));
        rss = process.memoryUsage().rss / 2 ** 20;
      }
      await conn.disconnect();
    }
    const phases: Partial<Record<ConnectPhase, number>> = {};
    for (const [k, v] of perPhase) phases[k] = median(v);
    return { server, runs, phases, totalMs: median(totals), clientCpuMs: median(cpu), rssMiB: rss };
  } finally {
    await lab.down();
    releaseLabLock();
  }
}

export function formatConnect(r: ConnectBenchResult): string {
  const phases = Object.entries(r.phases)
    .map(([k, v]) => `${k} ${v!.toFixed(1)}`)
    .join(', ');
  return `${r.server}: median of ${r.runs}: total ${r.totalMs.toFixed(0)} ms (${phases}); client CPU ${r.clientCpuMs.toFixed(1)} ms per connect; RSS ${r.rssMiB.toFixed(0)} MiB with one idle connection`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const which = (process.argv[2] ?? 'softether') as 'softether' | 'strongswan';
  runConnectBench(which, Number(process.argv[3] ?? 5)).then(
    (r) => console.log(formatConnect(r)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
