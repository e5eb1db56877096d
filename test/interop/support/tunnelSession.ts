/**
 * A Connection over the real ipsecCarrier against a lab server, for interop tests that drive the core directly
 * (no TUN): a debug log ring for failure reports, ICMP echo through `Connection.send`, per-phase timing rows.
 */
import { performance } from 'node:perf_hooks';
import { FerryError } from '../../../core/common/errors';
import { createLogger, formatLogEntry, RingBufferSink } from '../../../core/common/log';
import { Connection } from '../../../core/connection/connection';
import { type IpsecCarrierOptions, ipsecCarrier } from '../../../core/connection/ipsecCarrier';
import { decodeIcmpEcho, encodeIcmpEcho } from '../../../core/net/ipv4';
import type { Profile } from '../../../core/profile/schema';

export interface TunnelSession {
  readonly conn: Connection;
  readonly ring: RingBufferSink;
  readonly password: string;
}

export function tunnelSession(opts: {
  profile: Profile;
  psk: string;
  password: string;
  carrier?: Partial<IpsecCarrierOptions>;
}): TunnelSession {
  const ring = new RingBufferSink(20_000);
  const logger = createLogger({ sinks: [ring.sink], level: 'debug' });
  const conn = new Connection({
    profile: opts.profile,
    secrets: { password: opts.password },
    carrier: ipsecCarrier({ profile: opts.profile, psk: opts.psk, ...opts.carrier }),
    logger,
  });
  return { conn, ring, password: opts.password };
}

/** The last lines of the session's debug log (redacted at the logger), for failure messages. */
export function logTail(s: TunnelSession, lines = 80): string {
  return s.ring.snapshot().map(formatLogEntry).slice(-lines).join('\n');
}

/** connect(), or an Error that carries the typed failure and the log tail. */
export async function connectOrExplain(s: TunnelSession) {
  try {
    return await s.conn.connect();
  } catch (e) {
    throw new Error(`${e instanceof FerryError ? e.describe() : String(e)}\n${logTail(s)}`);
  }
}

/**
 * ICMP echo through the tunnel, up to 20 tries `perTryMs` apart; resolves with the round trip of the first reply
 * (measured from the first request when the first one is answered).
 */
export async function pingThrough(
  conn: Connection,
  from: string,
  to: string,
  opts: { id?: number; perTryMs?: number } = {},
): Promise<number> {
  const id = opts.id ?? 0x4242;
  const start = performance.now();
  const reply = new Promise<void>((resolve) => {
    conn.onPacket((p) => {
      const echo = decodeIcmpEcho(p);
      if (echo.ok && echo.value.type === 'reply' && echo.value.source === to && echo.value.id === id)
        resolve();
    });
  });
  for (let seq = 1; seq <= 20; seq++) {
    const sent = performance.now();
    conn.send(encodeIcmpEcho(from, to, { type: 'request', id, seq, data: new Uint8Array(56).fill(seq) }));
    const got = await Promise.race([
      reply.then(() => true),
      new Promise((r) => setTimeout(() => r(false), opts.perTryMs ?? 500)),
    ]);
    if (got) return performance.now() - (seq === 1 ? start : sent);
  }
  throw new Error(`no echo reply from ${to}`);
}

export type TimingRow = Record<string, number | string>;

/** Per-phase durations of one connect, grouped as the reports print them. */
export function timingRow(label: string, conn: Connection, extra: TimingRow = {}): TimingRow {
  const d = (p: string) => conn.phases().find((x) => x.phase === p)?.durationMs ?? 0;
  return {
    run: label,
    'phase 1 ms': Math.round(d('ike-phase1')),
    'quick mode ms': Math.round(d('quick-mode')),
    'L2TP ms': Math.round(d('l2tp-tunnel') + d('l2tp-session')),
    'PPP ms': Math.round(d('lcp') + d('auth') + d('ipcp')),
    'LCP ms': Math.round(d('lcp')),
    'auth ms': Math.round(d('auth')),
    'IPCP ms': Math.round(d('ipcp')),
    ...extra,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
