import { afterEach, describe, expect, it } from 'vitest';
import type { FerryError } from '../../../../core/common/errors';
import { createLogger } from '../../../../core/common/log';
import { NotifyType, ProtocolId } from '../../../../core/ike/constants';
import { IvStore } from '../../../../core/ike/crypto/ivs';
import { exchangeInitialIv } from '../../../../core/ike/crypto/keys';
import { spiBytes } from '../../../../core/ike/quick/espProposals';
import type { DpdPolicy } from '../../../../core/ike/tasks/dpd';
import { Informational } from '../../../../core/ike/tasks/informational';
import { type QuickModeResult, runQuickMode } from '../../../../core/ike/tasks/quickMode';
import { CLIENT, SERVER, seededRandom } from '../support/harness';
import type { QuickResponderOptions } from './support/quickResponder';
import { type QuickHarness, quickHarness } from './support/setup';

interface Up {
  readonly h: QuickHarness;
  readonly qm: QuickModeResult;
  readonly info: Informational;
  readonly failures: FerryError[];
}

let up: Up | null = null;
afterEach(() => {
  up?.info.close();
  up?.h.close();
  up = null;
});

async function established(
  opts: { qr?: QuickResponderOptions; dpd?: Partial<DpdPolicy> | false; dpdVid?: boolean } = {},
): Promise<Up> {
  const h = await quickHarness({
    ...(opts.qr ? { qr: opts.qr } : {}),
    ...(opts.dpdVid === false ? { responder: { dpd: false } } : {}),
  });
  const logger = createLogger({ sinks: [h.ring.sink], now: () => h.clock.now() });
  const info = new Informational({
    ikeSa: h.ikeSa,
    clock: h.clock,
    random: seededRandom(5),
    logger,
    ...(opts.dpd === undefined ? {} : { dpd: opts.dpd }),
  });
  const qm = await h.clock.run(
    runQuickMode({
      ikeSa: h.ikeSa,
      transforms: [{ cipher: 'aes-gcm-16', keyBits: 128 }],
      localAddress: CLIENT,
      serverAddress: SERVER,
      clock: h.clock,
      logger,
    }),
  );
  await h.clock.advance(10);
  info.watchEsp([{ inbound: qm.inbound.spi, outbound: qm.outbound.spi }]);
  const failures: FerryError[] = [];
  info.events.on('failure', (e) => failures.push(e));
  info.start();
  return { h, qm, info, failures };
}

describe('IV bookkeeping for one-message exchanges', () => {
  it('peek() derives an informational IV without evicting the IVs of exchanges in progress', () => {
    const ivs = new IvStore('sha256', 16, new Uint8Array(16).fill(1));
    const qmIv = ivs.current(5);
    ivs.advance(5, new Uint8Array(16).fill(9));
    for (let mid = 100; mid < 200; mid++)
      expect(ivs.peek(mid)).toEqual(exchangeInitialIv('sha256', new Uint8Array(16).fill(1), mid, 16));
    expect(ivs.current(5)).toEqual(new Uint8Array(16).fill(9));
    expect(ivs.peek(5)).toEqual(new Uint8Array(16).fill(9));
    expect(qmIv).toEqual(exchangeInitialIv('sha256', new Uint8Array(16).fill(1), 5, 16));
  });
});

describe('informational exchanges on an established IKE SA', () => {
  it('answers R-U-THERE with R-U-THERE-ACK echoing the sequence number, under a new message ID each time', async () => {
    up = await established({ dpd: false });
    const { h, info } = up;
    h.qr.sendRuThere(0x1000);
    h.qr.sendRuThere(0x1001);
    await h.clock.advance(10);
    expect(h.qr.dpdAcks).toEqual([0x1000, 0x1001]);
    expect(info.counters).toMatchObject({ dpdRequestsReceived: 2, dpdAcksSent: 2 });
    expect(up.failures).toEqual([]);
  });

  it('does not answer an R-U-THERE whose HASH(1) does not verify, or one naming another IKE SA', async () => {
    up = await established({ dpd: false });
    const { h, info } = up;
    h.qr.sendInformational(
      [h.qr.notify(NotifyType.R_U_THERE, ProtocolId.ISAKMP, h.qr.cookies(), spiBytes(7))],
      {
        badHash: true,
      },
    );
    h.qr.sendInformational([
      h.qr.notify(NotifyType.R_U_THERE, ProtocolId.ISAKMP, new Uint8Array(16), spiBytes(8)),
    ]);
    await h.clock.advance(10);
    expect(h.qr.dpdAcks).toEqual([]);
    expect(info.counters.rejected['bad-hash']).toBe(1);
    expect(info.counters.dpdForeign).toBe(1);
  });

  it('sends its own R-U-THERE after the idle time and stays up while the server answers', async () => {
    up = await established({ dpd: { idleMs: 20_000, retryMs: 5_000, maxMisses: 3 } });
    const { h, info } = up;
    await h.clock.advance(19_000);
    expect(info.dpdCounters?.requestsSent).toBe(0);
    await h.clock.advance(1_100);
    expect(info.dpdCounters?.requestsSent).toBe(1);
    expect(h.qr.events.filter((e) => e === 'r-u-there')).toHaveLength(1);
    await h.clock.advance(120_000);
    expect(up.failures).toEqual([]);
    expect(info.dpdCounters?.acksReceived).toBeGreaterThanOrEqual(5);
    expect(info.dpdCounters?.unexpectedAcks).toBe(0);
  });

  it('declares the peer dead after three unanswered R-U-THEREs (20 s idle + 3 × 5 s)', async () => {
    up = await established({ qr: { answerDpd: false } });
    const { h, info } = up;
    const t0 = h.clock.now();
    while (up.failures.length === 0 && h.clock.now() - t0 < 120_000) await h.clock.advance(500);
    expect(up.failures[0]).toMatchObject({ phase: 'established', code: 'dead-peer' });
    expect(h.clock.now() - t0).toBeGreaterThanOrEqual(35_000);
    expect(h.clock.now() - t0).toBeLessThanOrEqual(36_000);
    expect(info.dpdCounters?.requestsSent).toBe(3);
    await h.clock.advance(60_000);
    expect(up.failures).toHaveLength(1);
  });

  it('counts authentic ESP as proof of life and sends no R-U-THERE while it flows', async () => {
    up = await established({ qr: { answerDpd: false } });
    const { h, qm, info } = up;
    for (let i = 0; i < 20; i++) {
      await h.clock.advance(4_000);
      h.qr.sendEsp(Uint8Array.of(6, 0xa5, 0xa5, 0, 0, 12, 0, 0, 1, 2, 3, 4));
      await h.clock.advance(5);
      const pkt = h.net.log.at(-1)!.data;
      if (qm.inbound.open(pkt).ok) info.alive();
    }
    expect(info.dpdCounters?.requestsSent).toBe(0);
    expect(up.failures).toEqual([]);
  });

  it('does not run its own DPD when the server did not announce DPD', async () => {
    up = await established({ dpdVid: false });
    await up.h.clock.advance(200_000);
    expect(up.info.dpdCounters).toBeNull();
    expect(up.failures).toEqual([]);
  });

  it('fails with peer-deleted when the server deletes our ESP SA (either SPI) or the IKE SA', async () => {
    for (const which of ['inbound', 'outbound', 'isakmp'] as const) {
      up = await established({ dpd: false });
      const { h, qm } = up;
      if (which === 'isakmp') h.qr.sendDelete(ProtocolId.ISAKMP, [h.qr.cookies()]);
      else
        h.qr.sendDelete(ProtocolId.ESP, [spiBytes(which === 'inbound' ? qm.inbound.spi : qm.outbound.spi)]);
      await h.clock.advance(10);
      expect(up.failures, which).toHaveLength(1);
      expect(up.failures[0], which).toMatchObject({ phase: 'established', code: 'peer-deleted' });
      up.info.close();
      up.h.close();
      up = null;
    }
  });

  it('ignores DELETEs for SAs that are not ours and unknown notifies, and counts them', async () => {
    up = await established({ dpd: false });
    const { h, info } = up;
    h.qr.sendDelete(ProtocolId.ESP, [spiBytes(0x12345678)]);
    h.qr.sendDelete(ProtocolId.ISAKMP, [new Uint8Array(16).fill(1)]);
    h.qr.sendInformational([h.qr.notify(40501, ProtocolId.ISAKMP, h.qr.cookies())]);
    h.qr.sendInformational([h.qr.notify(NotifyType.INVALID_SPI, ProtocolId.ESP, spiBytes(9))]);
    await h.clock.advance(10);
    expect(up.failures).toEqual([]);
    expect(info.counters).toMatchObject({
      deletesReceived: 2,
      deletesIgnored: 2,
      unknownNotifies: 1,
      errorNotifies: 1,
    });
  });

  it('sends DELETE for the ESP SA (both SPIs, protocol ESP) and then for the IKE SA', async () => {
    up = await established({ dpd: false });
    const { h, qm, info } = up;
    info.shutdown();
    info.deleteEsp({ inbound: qm.inbound.spi, outbound: qm.outbound.spi });
    info.deleteIkeSa();
    await h.clock.advance(10);
    expect(h.qr.deletes.map((d) => d.protocol)).toEqual([ProtocolId.ESP, ProtocolId.ISAKMP]);
    expect(h.qr.deletes[0]!.spis.map((s) => Buffer.from(s).toString('hex'))).toEqual([
      qm.inbound.spi.toString(16).padStart(8, '0'),
      qm.outbound.spi.toString(16).padStart(8, '0'),
    ]);
    expect(Buffer.compare(h.qr.deletes[1]!.spis[0]!, h.qr.cookies())).toBe(0);
    // After shutdown the server's own DELETE (SoftEther echoes them) is no failure.
    h.qr.sendDelete(ProtocolId.ISAKMP, [h.qr.cookies()]);
    await h.clock.advance(10);
    expect(up.failures).toEqual([]);
  });

  it('drops unencrypted and undecryptable informationals without acting on them', async () => {
    up = await established({ dpd: false });
    const { h, info } = up;
    const valid = h.qr.sendInformational([
      h.qr.notify(NotifyType.R_U_THERE, ProtocolId.ISAKMP, h.qr.cookies(), spiBytes(1)),
    ]);
    const plain = valid.slice();
    plain[19] = 0; // encryption flag off
    h.qr.sendRawIke(plain);
    const garbled = valid.slice();
    garbled[garbled.length - 20]! ^= 0xff;
    garbled[23]! ^= 1; // another message ID: another IV
    h.qr.sendRawIke(garbled);
    await h.clock.advance(10);
    expect(h.qr.dpdAcks).toEqual([1]);
    expect(info.counters.rejected.unencrypted).toBe(1);
    expect(info.counters.rejected.undecryptable + info.counters.rejected['bad-hash']).toBe(1);
  });
});
