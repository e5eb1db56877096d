/**
 * Fuzzing the post-phase-1 decoders and handlers with random and mutated copies of real messages under an
 * established SA: nothing may throw, report an internal error, or act on an unauthenticated message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatBytes } from '../../../../core/common/bytes';
import type { DecodeError } from '../../../../core/common/decode';
import { silentLogger } from '../../../../core/common/log';
import { err, ok, type Result } from '../../../../core/common/result';
import type { EspTransform } from '../../../../core/esp/transforms';
import { NotifyType, ProtocolId } from '../../../../core/ike/constants';
import { decryptMessage } from '../../../../core/ike/crypto/protect';
import { decodeHeader, type IsakmpHeader } from '../../../../core/ike/message';
import { decodeSaPayload, encodeSaPayload } from '../../../../core/ike/payloads/sa';
import { matchChosenPhase2, type Phase2Offer, spiBytes } from '../../../../core/ike/quick/espProposals';
import { openInformational } from '../../../../core/ike/quick/protected';
import { classifyQm2 } from '../../../../core/ike/quick/qm2';
import { Informational } from '../../../../core/ike/tasks/informational';
import { runQuickMode } from '../../../../core/ike/tasks/quickMode';
import { fuzzDecoder, prng } from '../../../support/fuzz';
import { CLIENT, SERVER, seededRandom } from '../support/harness';
import { type QuickHarness, quickHarness } from './support/setup';

const TRANSFORMS: EspTransform[] = [
  { cipher: 'aes-gcm-16', keyBits: 256 },
  { cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' },
];

let h: QuickHarness;
let info: Informational;
let qm2: Uint8Array;
let qm1LastBlock: Uint8Array;
let offer: Phase2Offer;
let ni: Uint8Array;
let ids: [Uint8Array, Uint8Array];
let mid: number;
const infoSeeds: Uint8Array[] = [];

function serverIke(): Uint8Array[] {
  return h.net.log
    .filter((d) => d.from.address === SERVER && d.to.port !== 500 && d.data.length > 32 && d.data[0] === 0)
    .map((d) => d.data.subarray(4));
}

beforeAll(async () => {
  h = await quickHarness({ qr: { accept: (t) => t.cipher === 'aes-cbc' } });
  info = new Informational({
    ikeSa: h.ikeSa,
    clock: h.clock,
    random: seededRandom(3),
    logger: silentLogger,
    dpd: false,
  });
  const before = serverIke().length;
  const r = await h.clock.run(
    runQuickMode({
      ikeSa: h.ikeSa,
      transforms: TRANSFORMS,
      localAddress: CLIENT,
      serverAddress: SERVER,
      clock: h.clock,
    }),
  );
  await h.clock.advance(10);
  info.watchEsp([{ inbound: r.inbound.spi, outbound: r.outbound.spi }]);
  qm2 = serverIke()[before]!.slice();
  const clientQm = h.net.log.filter(
    (d) => d.from.address === CLIENT && d.to.port === 4500 && d.data.length > 32,
  );
  const qm1 = clientQm.at(-2)!.data.subarray(4);
  qm1LastBlock = qm1.slice(qm1.length - 16);
  const q = h.qr.qm1s[0]!;
  mid = q.mid;
  const nonce = q.payloads.find((e) => e.payload.kind === 'nonce')!.payload;
  ni = nonce.kind === 'nonce' ? nonce.data : new Uint8Array(0);
  const idEntries = q.payloads.filter((e) => e.payload.kind === 'id');
  ids = [idEntries[0]!.body.slice(), idEntries[1]!.body.slice()];
  const saIn = q.payloads[0]!.payload;
  if (saIn.kind !== 'sa') throw new Error('no SA');
  offer = {
    transforms: TRANSFORMS,
    mode: 'transport',
    draft: false,
    pfsGroup: null,
    lifetimeSeconds: 3600,
    spi: new DataView(saIn.proposals[0]!.spi.buffer, saIn.proposals[0]!.spi.byteOffset).getUint32(0),
  };
  const qr = h.qr;
  infoSeeds.push(
    qr.sendInformational([qr.notify(NotifyType.R_U_THERE, ProtocolId.ISAKMP, qr.cookies(), spiBytes(77))]),
    qr.sendInformational([
      qr.notify(NotifyType.R_U_THERE_ACK, ProtocolId.ISAKMP, qr.cookies(), spiBytes(78)),
    ]),
    qr.sendInformational([
      { kind: 'delete', doi: 1, protocol: ProtocolId.ESP, spiSize: 4, spis: [spiBytes(0x4242)] },
    ]),
    qr.sendInformational([qr.notify(NotifyType.INVALID_SPI, ProtocolId.ESP, spiBytes(5), new Uint8Array(9))]),
  );
  await h.clock.advance(10);
});

afterAll(() => {
  info.close();
  h.close();
});

const asDecodeResult = <T>(r: Result<T, { message: string; reason?: string }>): Result<T, DecodeError> =>
  r.ok
    ? ok(r.value)
    : err({ code: r.error.reason === 'internal' ? 'internal' : 'invalid', message: r.error.message });

describe('fuzzing post-phase-1 decoders (10^5 inputs each)', () => {
  it('openInformational: random and mutated encrypted informationals', () => {
    const sa = h.ikeSa.sa;
    const contents = new Set(
      infoSeeds.map((s) => {
        const o = openInformational(sa, s);
        if (!o.ok) throw new Error(o.error.message);
        return Buffer.from(concatBytes(...o.value.payloads.map((e) => e.bytes))).toString('hex');
      }),
    );
    fuzzDecoder('openInformational', (b) => asDecodeResult(openInformational(sa, b)), infoSeeds, {
      maxRandomLength: 200,
      // Mutations may keep a message authentic (padding, minor version, trailing bytes) but never change content.
      check: (v, input) => {
        const hex = Buffer.from(concatBytes(...v.payloads.map((e) => e.bytes))).toString('hex');
        if (!contents.has(hex))
          throw new Error(`forged informational accepted: ${Buffer.from(input).toString('hex')}`);
      },
    });
  });

  it('the QM2 SA choice: decodeSaPayload + matchChosenPhase2', () => {
    const seedSas = serverIkeSas();
    const decodeAndMatch = (b: Uint8Array): Result<unknown, DecodeError> => {
      const sa = decodeSaPayload(b);
      if (!sa.ok) return sa;
      const m = matchChosenPhase2(offer, sa.value);
      return typeof m === 'string' ? err({ code: 'invalid', message: m }) : ok(m);
    };
    for (const s of seedSas) expect(decodeAndMatch(s).ok).toBe(true);
    fuzzDecoder('phase-2 SA choice', decodeAndMatch, seedSas);
  });

  it('classifyQm2: mutated copies of a real QM2 are never accepted and never throw', () => {
    const sa = h.ikeSa.sa;
    const classify = (b: Uint8Array): Result<unknown, DecodeError> => {
      const hd = decodeHeader(b);
      if (!hd.ok) return hd;
      const v = classifyQm2(b.subarray(0, hd.value.length), hd.value, {
        sa,
        messageId: mid,
        offer,
        ni,
        ids,
        dh: null,
        decrypt: (m: Uint8Array, header: IsakmpHeader) => decryptMessage(sa.cipher, m, header, qm1LastBlock),
        evidence: { badHash: 0, unusable: null },
        badHashLimit: 2,
      });
      if ('accept' in v) return ok(v.accept);
      return err({ code: 'invalid', message: 'fail' in v ? v.fail.message : v.ignore });
    };
    const original = classify(qm2);
    if (!original.ok) throw new Error(original.error.message);
    const fingerprint = (v: unknown) => {
      const q = v as { nr: Uint8Array; chosen: { spi: number; lifetimeSeconds: number } };
      return `${Buffer.from(q.nr).toString('hex')}/${q.chosen.spi}/${q.chosen.lifetimeSeconds}`;
    };
    const stats = fuzzDecoder('classifyQm2', classify, [qm2], {
      check: (v, input) => {
        if (fingerprint(v) !== fingerprint(original.value))
          throw new Error(`forged QM2 accepted: ${Buffer.from(input).toString('hex')}`);
      },
    });
    expect(stats.iterations).toBeGreaterThan(0);
  });
});

function serverIkeSas(): Uint8Array[] {
  const sa = h.ikeSa.sa;
  const hd = decodeHeader(qm2);
  if (!hd.ok) throw new Error('qm2');
  const dec = decryptMessage(sa.cipher, qm2, hd.value, qm1LastBlock);
  if (!dec.ok) throw new Error('qm2 decrypt');
  const saEntry = dec.value.payloads.find((e) => e.payload.kind === 'sa')!;
  const saPayload = saEntry.payload;
  if (saPayload.kind !== 'sa') throw new Error('sa');
  return [
    saEntry.body.slice(),
    encodeSaPayload({ ...saPayload, proposals: [{ ...saPayload.proposals[0]!, spi: spiBytes(0xabcdef) }] }),
  ];
}

describe('the informational handler under a stream of hostile messages', () => {
  it('never throws, never acts on them, and still answers a genuine R-U-THERE afterwards', async () => {
    const rand = prng(0xdead);
    const r = (n: number) => Math.floor(rand() * n);
    const receive = (
      h.ikeSa as unknown as { receive(m: Uint8Array, via: 'ike' | 'natt'): void }
    ).receive.bind(h.ikeSa);
    const failures: unknown[] = [];
    info.events.on('failure', (e) => failures.push(e));
    const n = Number(process.env.FUZZ_ITERATIONS ?? 20_000);
    for (let i = 0; i < n; i++) {
      const seed = infoSeeds[r(infoSeeds.length)]!;
      let m = seed.slice();
      switch (r(5)) {
        case 0:
          m[28 + r(m.length - 28)]! ^= 1 << r(8);
          break;
        case 1:
          m[r(28)] = r(256);
          break;
        case 2:
          m = m.slice(0, r(m.length));
          break;
        case 3:
          m = Uint8Array.from({ length: r(120) }, () => r(256));
          m.set(seed.subarray(0, Math.min(16, m.length)));
          break;
        default: {
          m[20 + r(4)] = r(256);
          m[28 + r(m.length - 28)] = r(256);
        }
      }
      expect(() => receive(m, 'natt')).not.toThrow();
    }
    expect(failures).toEqual([]);
    const acksBefore = h.qr.dpdAcks.length;
    h.qr.sendRuThere(0x5151);
    await h.clock.advance(10);
    // Authentic replays (a mutation that only touched padding or the minor version) are answered again, as RFC
    // 3706 expects: the ACK echoes the replayed sequence number (77), which the server's own check rejects.
    const acks = h.qr.dpdAcks.slice(acksBefore);
    expect(acks).toContain(0x5151);
    expect(acks.every((a) => a === 0x5151 || a === 77)).toBe(true);
    const rejected = Object.values(info.counters.rejected).reduce((a, b) => a + b, 0);
    expect(info.counters.rejected.internal).toBe(0);
    // About half the stream is routed elsewhere (Quick Mode, phase 1) by exchange type; of what reached the
    // handler, only authentic replays (intact hash) may be acted on.
    expect(info.counters.received).toBeGreaterThan(n / 4);
    expect(rejected).toBeGreaterThan(info.counters.received * 0.9);
  });
});
