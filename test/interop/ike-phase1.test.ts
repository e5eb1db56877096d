/**
 * IKEv1 phase 1 (Main Mode, PSK, NAT-T) against the real lab servers: SoftEther in a namespace and strongSwan in
 * a VM. Prints phase-1 timings and what each server does when the pre-shared key is wrong.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FerryError } from '../../core/common/errors';
import { createLogger, formatLogEntry, RingBufferSink } from '../../core/common/log';
import { connectPhase1, type Phase1Connection } from '../../core/ike/connect';
import { exchangeName } from '../../core/ike/constants';
import { decodeHeader } from '../../core/ike/message';
import type { Phase1Result } from '../../core/ike/phase1';
import type { Phase1Proposal } from '../../core/ike/proposals';
import { type DatagramSocketFactory, nodeUdp } from '../../core/net/udp';
import { softetherLab } from '../lab/softether';
import { strongswanLab } from '../lab/strongswan';
import type { LabInfo, LabServer } from '../lab/types';
import { describeLab } from '../support/env';

const utf8 = (s: string) => new TextEncoder().encode(s);
const WRONG_PSK = utf8('definitely-not-the-lab-psk');
/** A wrong PSK must be recognised well before the 30 s phase-1 deadline. */
const AUTH_FAILED_BOUND_MS = 12_000;

/** One line per datagram from the server: what kind of message, on which port. */
function describeDatagram(d: Uint8Array, port: number): string {
  if (d.length === 1 && d[0] === 0xff) return `keepalive from :${port}`;
  const marker = port === 4500 && d.length >= 4 && d[0] === 0 && d[1] === 0 && d[2] === 0 && d[3] === 0;
  if (port === 4500 && !marker) return `ESP from :${port}`;
  const h = decodeHeader(marker ? d.subarray(4) : d);
  if (!h.ok) return `${d.length}-byte undecodable datagram from :${port}`;
  return `${exchangeName(h.value.exchangeType)}${h.value.flags & 1 ? ' (encrypted)' : ''} from :${port}`;
}

interface Attempt {
  readonly conn: Phase1Connection | null;
  readonly error: FerryError | null;
  readonly elapsedMs: number;
  /** What the server sent us, in order: exchange type, encryption, port. */
  readonly serverMessages: string[];
  readonly log: string[];
}

async function attempt(
  info: LabInfo,
  opts: { psk?: Uint8Array; proposals?: readonly Phase1Proposal[]; allowLegacy?: boolean } = {},
): Promise<Attempt> {
  const ring = new RingBufferSink();
  const logger = createLogger({ sinks: [ring.sink], level: 'debug' });
  const serverMessages: string[] = [];
  const sockets: DatagramSocketFactory = {
    open: async (o) => {
      const sock = await nodeUdp.open(o);
      return {
        local: sock.local,
        send: (d, to) => sock.send(d, to),
        onMessage: (h) =>
          sock.onMessage((d, from) => {
            serverMessages.push(describeDatagram(d, from.port));
            h(d, from);
          }),
        onError: (h) => sock.onError(h),
        close: () => sock.close(),
      };
    },
  };
  const t0 = performance.now();
  try {
    const conn = await connectPhase1({
      sockets,
      serverAddress: info.serverAddress,
      localAddress: info.clientAddress,
      psk: opts.psk ?? utf8(info.psk),
      logger,
      ...(opts.proposals ? { proposals: opts.proposals } : {}),
      ...(opts.allowLegacy ? { allowLegacy: true } : {}),
    });
    return {
      conn,
      error: null,
      elapsedMs: performance.now() - t0,
      serverMessages,
      log: ring.snapshot().map(formatLogEntry),
    };
  } catch (e) {
    if (!(e instanceof FerryError)) throw e;
    return {
      conn: null,
      error: e,
      elapsedMs: performance.now() - t0,
      serverMessages,
      log: ring.snapshot().map(formatLogEntry),
    };
  }
}

function close(a: Attempt): void {
  a.conn?.ikeSa.close();
  a.conn?.transport.close();
}

function timingRow(server: string, r: Phase1Result): Record<string, string | number> {
  const t = r.timings;
  return {
    server,
    'MM1→MM2 ms': Math.round(t.mm1ToMm2Ms * 10) / 10,
    'DH gen ms': Math.round(t.dhGenerateMs * 10) / 10,
    'MM3→MM4 ms': Math.round(t.mm3ToMm4Ms * 10) / 10,
    'keys ms': Math.round(t.keyDerivationMs * 10) / 10,
    'MM5→MM6 ms': Math.round(t.mm5ToMm6Ms * 10) / 10,
    'total ms': Math.round(t.totalMs * 10) / 10,
    retransmissions: r.retransmissions,
  };
}

const report: Record<string, unknown>[] = [];
const wrongPskReport: Record<string, unknown>[] = [];

afterAll(() => {
  if (report.length) {
    console.log('phase-1 timings:');
    console.table(report);
  }
  if (wrongPskReport.length) {
    console.log('wrong PSK behaviour:');
    console.table(wrongPskReport);
  }
});

function suite(name: string, lab: LabServer, extra: (info: () => LabInfo) => void) {
  describeLab(`IKE phase 1 against ${name}`, () => {
    let info: LabInfo;
    beforeAll(async () => {
      info = await lab.up();
    });
    afterAll(async () => {
      await lab.down();
    });

    it('establishes Main Mode with PSK and floats to 4500 (three fresh connections)', async () => {
      for (let i = 0; i < 3; i++) {
        const a = await attempt(info);
        try {
          if (a.error) throw new Error(`${a.error.describe()}\n${a.log.join('\n')}`);
          const r = a.conn!.result;
          expect(r.natt.floated).toBe(true);
          expect(a.conn!.transport.floated).toBe(true);
          expect(r.natt.variant).toBe('rfc3947');
          expect(a.conn!.ikeSa.established).toBe(true);
          // MM6 came back over the NAT-T socket.
          expect(a.serverMessages.at(-1)).toMatch(/IDENTITY_PROTECTION \(encrypted\) from :4500/);
          report.push(timingRow(name, r));
          if (i === 0)
            console.log(
              `${name}: ${JSON.stringify({
                proposal: r.proposal,
                lifetimeSeconds: r.lifetimeSeconds,
                natt: r.natt,
                peerId: r.peerId,
                vendorIds: r.peerVendorIds,
              })}`,
            );
        } finally {
          close(a);
        }
      }
    });

    it('maps a wrong pre-shared key to auth-failed within a bounded time', async () => {
      const a = await attempt(info, { psk: WRONG_PSK });
      close(a);
      wrongPskReport.push({
        server: name,
        code: a.error?.code ?? 'established?!',
        'elapsed ms': Math.round(a.elapsedMs),
        evidence: a.error?.message ?? '',
        'server sent': a.serverMessages.join(', '),
      });
      expect(a.error?.code).toBe('auth-failed');
      expect(a.error?.describe()).toMatch(
        /^IKE phase 1: authentication failed .* — check the pre-shared key$/,
      );
      expect(a.elapsedMs).toBeLessThan(AUTH_FAILED_BOUND_MS);
      const text = a.log.join('\n') + a.error!.message;
      expect(text).not.toContain(info.psk);
      expect(text).not.toContain('definitely-not-the-lab-psk');
    });

    extra(() => info);
  });
}

suite('SoftEther', softetherLab, (info) => {
  it('answers a profile with only ECP groups (unsupported by SoftEther) with no-proposal-chosen', async () => {
    const a = await attempt(info(), {
      proposals: [{ encryption: 'aes256', hash: 'sha256', group: 'ecp256', lifetimeSeconds: 28800 }],
    });
    close(a);
    expect(a.error?.code).toBe('no-proposal-chosen');
  });

  it('reports the SoftEther peer ID 0.0.0.0 and the dialect it chose', async () => {
    const a = await attempt(info());
    try {
      expect(a.error).toBeNull();
      expect(a.conn!.result.peerId.identity).toEqual({ type: 'ipv4', address: '0.0.0.0' });
    } finally {
      close(a);
    }
  });
});

suite('strongSwan', strongswanLab, (info) => {
  it('answers a MODP-1024-only profile with no-proposal-chosen', async () => {
    const a = await attempt(info(), {
      proposals: [
        { encryption: 'aes256', hash: 'sha1', group: 'modp1024', lifetimeSeconds: 28800 },
        { encryption: '3des', hash: 'sha1', group: 'modp1024', lifetimeSeconds: 28800 },
      ],
      allowLegacy: true,
    });
    close(a);
    expect(a.error?.code).toBe('no-proposal-chosen');
    expect(a.error?.describe()).toContain('enable legacy algorithms');
  });

  it('negotiates the second strict proposal (aes128-sha1-modp2048) when offered alone', async () => {
    const a = await attempt(info(), {
      proposals: [{ encryption: 'aes128', hash: 'sha1', group: 'modp2048', lifetimeSeconds: 28800 }],
    });
    try {
      if (a.error) throw new Error(a.error.describe());
      expect(a.conn!.result.proposal).toMatchObject({
        encryption: 'aes128',
        hash: 'sha1',
        group: 'modp2048',
      });
      report.push(timingRow('strongSwan aes128-sha1', a.conn!.result));
    } finally {
      close(a);
    }
  });
});
