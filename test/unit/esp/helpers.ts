/** Shared fixtures for the ESP tests: deterministic keys and randomness, SA pairs, RFC 3948 framing. */
import { InboundSa, type InboundSaOptions } from '../../../core/esp/inbound';
import { OutboundSa, type OutboundSaOptions } from '../../../core/esp/outbound';
import { type EspKeys, type EspTransform, espKeyLengths, splitKeymat } from '../../../core/esp/transforms';
import { seededRandom } from '../../support/deterministic';

export { seededRandom };

export function bytes(n: number, seed = 1): Uint8Array {
  return seededRandom(seed)(n);
}

export function keysFor(t: EspTransform, seed = 7): EspKeys {
  const r = splitKeymat(t, bytes(espKeyLengths(t).total, seed));
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

export const SPI = 0xc0ffee01;

export function saPair(
  t: EspTransform,
  out: Partial<OutboundSaOptions> = {},
  inb: Partial<InboundSaOptions> = {},
): { readonly outbound: OutboundSa; readonly inbound: InboundSa; readonly keys: EspKeys } {
  const keys = keysFor(t);
  const outbound = new OutboundSa({ spi: SPI, transform: t, keys, random: seededRandom(3), ...out });
  const inbound = new InboundSa({ spi: SPI, transform: t, keys, ...inb });
  return { outbound, inbound, keys };
}

/** Seals or fails the test. */
export function mustSeal(sa: OutboundSa, payload: Uint8Array, nextHeader = 17): Uint8Array {
  const r = sa.seal(payload, nextHeader);
  if (!r.ok) throw new Error(`seal refused: ${r.error}`);
  return r.value.packet;
}

/** The UDP 4500 payload classes of RFC 3948 §2.2-2.3, as the IKE transport demultiplexes them. */
export type NatTClass = 'keepalive' | 'ike' | 'esp' | 'invalid';

export function classifyNatT(datagram: Uint8Array): NatTClass {
  if (datagram.length === 1 && datagram[0] === 0xff) return 'keepalive';
  if (
    datagram.length >= 4 &&
    datagram[0] === 0 &&
    datagram[1] === 0 &&
    datagram[2] === 0 &&
    datagram[3] === 0
  )
    return 'ike';
  return datagram.length >= 8 ? 'esp' : 'invalid';
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
