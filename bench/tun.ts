/**
 * TUN packet I/O through core/tun (koffi poll() on a worker thread + non-blocking read() drain; koffi write()),
 * as the unprivileged app uses it: a device owned by uid 65534 in a throwaway namespace, attached by owner
 * (TUNSETIFF on a fresh clone-device fd) by a process running as uid 65534. 1400-byte IPv4/UDP packets.
 * - read: a separate process floods UDP through the device; we count what the reader gets (bounded by the
 *   sender on a 2-core machine, so the reader's CPU per packet is reported too);
 * - write: the reader writes packets addressed to the namespace's own address as fast as it can; the kernel's
 *   RX counter of the device confirms they arrived.
 * The fd-passing path (HelperClient.openTunFd) ends in the same kernel object and the same code, so it is not
 * measured separately; packets are never relayed through the helper. Run as root: `npx tsx bench/tun.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodeIpv4, IPPROTO_UDP, writeUdpHeader } from '../core/net/ipv4';
import { openTun } from '../core/tun';

const NS = 'ferry-tb';
const DEV = 'ferrytb0';
const LOCAL = '10.88.0.2';
const PEER = '10.88.0.1';
const PACKET = 1400;
const OWNER = 65534;

export interface TunRate {
  readonly packets: number;
  readonly seconds: number;
  readonly packetsPerSecond: number;
  /** Process CPU (all threads) per packet. */
  readonly cpuMicrosPerPacket: number;
}

export interface TunBenchResult {
  readonly node: string;
  readonly packetBytes: number;
  readonly path: string;
  /** queueDrops: packets the kernel dropped because the device queue was full (reader too slow), whole run. */
  readonly read: TunRate & { readonly senderPacketsPerSecond: number; readonly queueDrops: number };
  readonly write: TunRate & { readonly kernelReceived: number };
}

export interface TunBenchOptions {
  readonly durationMs?: number;
  readonly log?: (line: string) => void;
}

const here = fileURLToPath(import.meta.url);

function exec(argv: string[], input?: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('close', (code) => resolve({ code, out }));
    child.on('error', (e) => resolve({ code: -1, out: String(e) }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

async function must(argv: string[]): Promise<string> {
  const r = await exec(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.out}`);
  return r.out;
}

/** The part that runs inside the namespace as uid 65534. */
async function inner(devicePath: string, durationMs: number): Promise<void> {
  const tun = openTun(DEV, { devicePath });
  const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  // read phase: the window starts with the first packet
  let count = 0;
  let started = 0;
  let cpu0 = process.cpuUsage();
  const read = await new Promise<TunRate>((resolve) => {
    tun.onPacket(() => {
      if (count++ === 0) {
        started = performance.now();
        cpu0 = process.cpuUsage();
        setTimeout(() => {
          const seconds = (performance.now() - started) / 1000;
          const cpu = process.cpuUsage(cpu0);
          const n = count - 1;
          resolve({
            packets: n,
            seconds,
            packetsPerSecond: n / seconds,
            cpuMicrosPerPacket: (cpu.user + cpu.system) / n,
          });
        }, durationMs);
      }
    });
    say({ ready: true });
  });
  tun.onPacket(() => undefined);
  say({ read });
  // keep draining (uncounted) until the sender has stopped, so queue drops belong to the read window
  await new Promise((r) => setTimeout(r, 1500));
  // write phase: UDP to our own address, port 9 (nobody listens; the kernel takes and drops them)
  const payload = new Uint8Array(PACKET - 20);
  writeUdpHeader(payload, 0, 40000, 9, payload.length);
  const packet = encodeIpv4({ source: PEER, destination: LOCAL, protocol: IPPROTO_UDP }, payload);
  let written = 0;
  let failed = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (performance.now() - t0 < durationMs) {
    for (let i = 0; i < 1000; i++)
      if (tun.write(packet)) written++;
      else failed++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  say({
    write: {
      packets: written,
      failed,
      seconds,
      packetsPerSecond: written / seconds,
      cpuMicrosPerPacket: (cpu.user + cpu.system) / written,
    },
  });
  await tun.close();
}

const SENDER = `
const dgram = require('node:dgram');
const s = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
const buf = Buffer.alloc(${PACKET - 28});
const until = Date.now() + Number(process.argv[1]);
let sent = 0, inflight = 0;
const t0 = Date.now();
function pump() {
  if (Date.now() > until) { if (inflight === 0) { console.log(JSON.stringify({ sent, seconds: (Date.now() - t0) / 1000 })); s.close(); } else setTimeout(pump, 5); return; }
  while (inflight < 256) { inflight++; s.send(buf, 9, '${PEER}', () => { inflight--; sent++; }); }
  setImmediate(pump);
}
pump();`;

/** RX packets and TX dropped from `ip -s link show` (the line after `RX:` / `TX:` headers). */
function linkStats(text: string): { rxPackets: number; txDropped: number } {
  const lines = text.split('\n').map((l) => l.trim());
  const row = (header: string) => {
    const i = lines.findIndex((l) => l.startsWith(header));
    return i >= 0 ? (lines[i + 1] ?? '').split(/\s+/).map(Number) : [];
  };
  return { rxPackets: row('RX:')[1] ?? Number.NaN, txDropped: row('TX:')[3] ?? Number.NaN };
}

export async function runTunBench(opts: TunBenchOptions = {}): Promise<TunBenchResult> {
  const log = opts.log ?? (() => undefined);
  const durationMs = opts.durationMs ?? 3000;
  if (process.platform !== 'linux' || process.getuid?.() !== 0)
    throw new Error('the TUN bench needs Linux and root');
  const dir = join(process.env.FERRY_LAB_DIR ?? '/run/ferry-lab', 'tun-bench');
  const node = join(dir, 'tun');
  await exec(['ip', 'netns', 'del', NS]);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  try {
    await must(['ip', 'netns', 'add', NS]);
    await must(['ip', '-n', NS, 'link', 'set', 'lo', 'up']);
    await must(['ip', '-n', NS, 'tuntap', 'add', 'dev', DEV, 'mode', 'tun', 'user', String(OWNER)]);
    await must(['ip', '-n', NS, 'addr', 'add', LOCAL, 'peer', `${PEER}/32`, 'dev', DEV]);
    await must(['ip', '-n', NS, 'link', 'set', 'dev', DEV, 'mtu', '1500', 'up']);
    // /dev/net/tun may be root-only on this host: our own node with the same device number, open to all.
    await must(['mknod', '-m', '0666', node, 'c', '10', '200']);

    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        NS,
        'setpriv',
        `--reuid=${OWNER}`,
        `--regid=${OWNER}`,
        '--clear-groups',
        process.execPath,
        '--import',
        'tsx',
        here,
        '--inner',
        node,
        String(durationMs),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: join(here, '..', '..') },
    );
    const lines: Record<string, unknown>[] = [];
    let errText = '';
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        lines.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
        buf = buf.slice(i + 1);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      errText += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('close', r));
    const waitLine = async (key: string) => {
      for (;;) {
        const l = lines.find((x) => key in x);
        if (l) return l[key];
        if (child.exitCode !== null) throw new Error(`bench process exited: ${errText}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await waitLine('ready');
    log(`attached to ${DEV} as uid ${OWNER}; flooding for ${durationMs} ms`);
    const sender = await exec([
      'ip',
      'netns',
      'exec',
      NS,
      process.execPath,
      '-e',
      SENDER,
      String(durationMs + 1000),
    ]);
    const sent = JSON.parse(sender.out.trim().split('\n').pop()!) as { sent: number; seconds: number };
    const read = (await waitLine('read')) as TunRate;
    const write = (await waitLine('write')) as TunRate & { failed: number };
    await exited;
    const stats = linkStats(await must(['ip', '-n', NS, '-s', 'link', 'show', 'dev', DEV]));
    const result: TunBenchResult = {
      node: process.version,
      packetBytes: PACKET,
      path: `attach by owner (uid ${OWNER}), koffi poll()+read() drain, koffi write()`,
      read: { ...read, senderPacketsPerSecond: sent.sent / sent.seconds, queueDrops: stats.txDropped },
      write: { ...write, kernelReceived: stats.rxPackets },
    };
    log(
      `read : ${(result.read.packetsPerSecond / 1000).toFixed(0)}k pkt/s (sender ${(result.read.senderPacketsPerSecond / 1000).toFixed(0)}k pkt/s, ${stats.txDropped} dropped at the device queue), ${result.read.cpuMicrosPerPacket.toFixed(2)} µs CPU/pkt`,
    );
    log(
      `write: ${(result.write.packetsPerSecond / 1000).toFixed(0)}k pkt/s, ${result.write.cpuMicrosPerPacket.toFixed(2)} µs CPU/pkt, kernel RX ${stats.rxPackets} of ${write.packets}`,
    );
    return result;
  } finally {
    await exec(['ip', 'netns', 'del', NS]);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--inner') {
    inner(process.argv[3]!, Number(process.argv[4])).catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
  } else {
    console.log(`TUN bench, ${process.version}, ${PACKET}-byte packets`);
    runTunBench({ log: (l) => console.log(l) })
      .then((r) => console.log(JSON.stringify(r)))
      .catch((e: unknown) => {
        console.error(e);
        process.exitCode = 1;
      });
  }
}
