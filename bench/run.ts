/**
 * `npm run bench`: Ferry's performance numbers (SPEC §7), printed as numbers and ratios — never asserted.
 *  1. data plane through the whole client stack (ESP + L2TP + PPP, 1400-byte packets) vs raw AES-256-GCM;
 *  2. ESP seal/open per transform;
 *  3. TUN device read/write from Node (root);
 *  4. connect latency per phase against the lab servers (root; takes the lab lock; builds the VM image if needed);
 *  5. real traffic via `ferry connect` in a client netns: connect → first ping, iperf3 tunnel vs plain, idle RSS.
 * `npm run bench -- quick` skips 3, 4 and 5.
 */
import { type ConnectBenchResult, formatConnect, runConnectBench } from './connect';
import { DATA_PLANE_TRANSFORMS, formatRate, runDataPlane } from './dataplane';
import { runEspBench } from './esp';
import { runTunBench } from './tun';
import { formatTunnel, runTunnelBench } from './tunnel';

const quick = process.argv.includes('quick');
const isRoot = process.getuid?.() === 0;

function section(title: string): void {
  console.log(`\n== ${title} ==`);
}

section(`Data plane: Connection.send → ESP and ESP → onPacket, 1400-byte IP packets (${process.version})`);
for (const t of DATA_PLANE_TRANSFORMS) {
  const r = await runDataPlane(t);
  console.log(
    `${r.transform.padEnd(14)} encapsulate ${formatRate(r.encapsulate)} = ${r.encapsulateRatio.toFixed(2)} × raw GCM; ` +
      `decapsulate ${formatRate(r.decapsulate)} = ${r.decapsulateRatio.toFixed(2)} × raw GCM`,
  );
  console.log(
    `${''.padEnd(14)} raw node:crypto AES-256-GCM in the same process: ${formatRate(r.rawAes256Gcm)}`,
  );
}

section('ESP seal/open per transform (1400-byte payloads)');
await runEspBench({ log: (l) => console.log(l) });

if (quick) {
  console.log('\n(quick: TUN and lab benchmarks skipped)');
} else if (!isRoot) {
  console.log(
    '\nTUN and connect-latency benchmarks need root (network namespaces, TUN, lab servers): skipped',
  );
} else {
  section('TUN device I/O from Node (attach by owner, 1400-byte packets)');
  const tun = await runTunBench({ log: (l) => console.log(l) });
  console.log(
    `read ${Math.round(tun.read.packetsPerSecond).toLocaleString('en')} pkt/s (${tun.read.cpuMicrosPerPacket.toFixed(1)} µs CPU/pkt, sender ${Math.round(tun.read.senderPacketsPerSecond).toLocaleString('en')} pkt/s, ${tun.read.queueDrops} queue drops); ` +
      `write ${Math.round(tun.write.packetsPerSecond).toLocaleString('en')} pkt/s (${tun.write.cpuMicrosPerPacket.toFixed(1)} µs CPU/pkt)`,
  );

  section('Connect latency against the lab servers (median per phase, ms)');
  const results: ConnectBenchResult[] = [];
  results.push(await runConnectBench('softether', 5));
  results.push(await runConnectBench('strongswan', 3));
  for (const r of results) console.log(formatConnect(r));
  console.log(
    'client CPU per connect is what Ferry itself spends; the rest of the total is the server (SoftEther: SecureNAT DHCP in IPCP; strongSwan: an emulated VM).',
  );

  section('Real traffic: ferry connect + helper + TUN from a client namespace');
  for (const server of ['softether', 'strongswan'] as const)
    console.log(formatTunnel(await runTunnelBench(server)));
}
