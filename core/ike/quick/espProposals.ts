/**
 * The Quick Mode SA payload (RFC 2407 §4.5-§4.6.1, RFC 3947 §5.1): one ESP proposal, one transform per ESP
 * algorithm, and validation of the responder's choice (RFC 2409 §5.5: it returns one transform we offered).
 */
import {
  describeTransform,
  type EspTransform,
  espTransformFromIke,
  espTransformToIke,
} from '../../esp/transforms';
import {
  DOI_IPSEC,
  EncapsulationMode,
  IpsecAttr,
  LifeType,
  ProtocolId,
  SIT_IDENTITY_ONLY,
} from '../constants';
import { DH_GROUP_IDS, type DhGroupName, dhGroupById } from '../crypto/dh';
import { attributeNumber, basicAttribute, type DataAttribute, numberAttribute } from '../payloads/attributes';
import type { SaPayload, Transform } from '../payloads/sa';

export type EspMode = 'transport' | 'tunnel';

export interface Phase2Offer {
  readonly transforms: readonly EspTransform[];
  readonly mode: EspMode;
  /** The NAT-T dialect of phase 1 was a draft: encapsulation modes 61443/61444 instead of 3/4. */
  readonly draft: boolean;
  readonly pfsGroup: DhGroupName | null;
  readonly lifetimeSeconds: number;
  /** Our SPI: the one the server will put on ESP it sends us. */
  readonly spi: number;
}

/** UDP-encapsulated tunnel/transport: RFC 3947 §5.1 values 3/4, draft values 61443/61444. */
export function encapsulationModeValue(mode: EspMode, draft: boolean): number {
  if (mode === 'transport')
    return draft ? EncapsulationMode.UDP_TRANSPORT_DRAFT : EncapsulationMode.UDP_TRANSPORT_RFC;
  return draft ? EncapsulationMode.UDP_TUNNEL_DRAFT : EncapsulationMode.UDP_TUNNEL_RFC;
}

export function spiBytes(spi: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, spi >>> 0);
  return b;
}

/** SA attributes of one offered transform (RFC 2407 §4.5); AES always carries Key Length. */
export function phase2Attributes(t: EspTransform, offer: Phase2Offer): DataAttribute[] {
  const ike = espTransformToIke(t);
  const attrs: DataAttribute[] = [
    basicAttribute(IpsecAttr.SA_LIFE_TYPE, LifeType.SECONDS),
    numberAttribute(IpsecAttr.SA_LIFE_DURATION, offer.lifetimeSeconds),
  ];
  if (offer.pfsGroup) attrs.push(basicAttribute(IpsecAttr.GROUP_DESCRIPTION, DH_GROUP_IDS[offer.pfsGroup]));
  attrs.push(basicAttribute(IpsecAttr.ENCAPSULATION_MODE, encapsulationModeValue(offer.mode, offer.draft)));
  if (ike.authAlgorithm !== undefined)
    attrs.push(basicAttribute(IpsecAttr.AUTH_ALGORITHM, ike.authAlgorithm));
  if (ike.keyLength !== undefined) attrs.push(basicAttribute(IpsecAttr.KEY_LENGTH, ike.keyLength));
  return attrs;
}

/** QM1's SA: one ESP proposal carrying every transform as an alternative, most preferred first (as strongSwan). */
export function phase2SaPayload(offer: Phase2Offer): SaPayload {
  if (offer.transforms.length === 0 || offer.transforms.length > 255)
    throw new RangeError(`${offer.transforms.length} ESP transforms (1..255 allowed)`);
  return {
    kind: 'sa',
    doi: DOI_IPSEC,
    situation: SIT_IDENTITY_ONLY,
    proposals: [
      {
        number: 1,
        protocol: ProtocolId.ESP,
        spi: spiBytes(offer.spi),
        transforms: offer.transforms.map((t, i) => {
          const ike = espTransformToIke(t);
          return { number: i + 1, id: ike.transformId, attributes: phase2Attributes(t, offer) };
        }),
      },
    ],
  };
}

export interface Phase2Lifetimes {
  readonly seconds: number | null;
  readonly kilobytes: number | null;
}

/** Life type/duration pairs (RFC 2407 §4.5: a duration applies to the type before it), or an error text. */
export function readLifetimes(attrs: readonly DataAttribute[]): Phase2Lifetimes | string {
  let type: number | undefined;
  let seconds: number | null = null;
  let kilobytes: number | null = null;
  for (const a of attrs) {
    if (a.type === IpsecAttr.SA_LIFE_TYPE) {
      type = attributeNumber(a);
      if (type !== LifeType.SECONDS && type !== LifeType.KILOBYTES) return `life type ${type ?? '?'}`;
    } else if (a.type === IpsecAttr.SA_LIFE_DURATION) {
      const v = attributeNumber(a);
      if (v === undefined || v === 0) return 'unusable life duration';
      if (type === LifeType.SECONDS) seconds = v;
      else if (type === LifeType.KILOBYTES) kilobytes = v;
      else return 'life duration without a life type';
    }
  }
  return { seconds, kilobytes };
}

export interface ParsedPhase2Transform {
  readonly transformId: number;
  readonly keyLength?: number;
  readonly authAlgorithm?: number;
  readonly encapsulationMode?: number;
  readonly groupId?: number;
  readonly lifetimes: Phase2Lifetimes;
}

/** Interprets a phase-2 transform's attributes; unknown attribute types are ignored. */
export function parsePhase2Transform(t: Transform): ParsedPhase2Transform | string {
  const lifetimes = readLifetimes(t.attributes);
  if (typeof lifetimes === 'string') return lifetimes;
  const out: { -readonly [K in keyof ParsedPhase2Transform]: ParsedPhase2Transform[K] } = {
    transformId: t.id,
    lifetimes,
  };
  for (const a of t.attributes) {
    if (a.type === IpsecAttr.SA_LIFE_TYPE || a.type === IpsecAttr.SA_LIFE_DURATION) continue;
    const v = attributeNumber(a);
    if (v === undefined) return `attribute ${a.type} has an unusable value`;
    if (a.type === IpsecAttr.KEY_LENGTH) out.keyLength = v;
    else if (a.type === IpsecAttr.AUTH_ALGORITHM) out.authAlgorithm = v;
    else if (a.type === IpsecAttr.ENCAPSULATION_MODE) out.encapsulationMode = v;
    else if (a.type === IpsecAttr.GROUP_DESCRIPTION) out.groupId = v;
  }
  return out;
}

export interface ChosenPhase2 {
  readonly transform: EspTransform;
  /** The responder's SPI: what we put on ESP we send. */
  readonly spi: number;
  readonly encapsulationMode: number;
  /** Ours, lowered if the responder returned a shorter one. */
  readonly lifetimeSeconds: number;
  readonly lifetimeKilobytes: number | null;
  readonly pfsGroup: DhGroupName | null;
}

/**
 * Checks QM2's SA: one ESP proposal with a 4-byte SPI outside 0..255 (RFC 4303 §2.1) and one transform equal to
 * one we offered: same algorithm, key length, encapsulation mode and PFS group. Returns the match or a reason.
 */
export function matchChosenPhase2(offer: Phase2Offer, sa: SaPayload): ChosenPhase2 | string {
  if (sa.doi !== DOI_IPSEC) return `DOI ${sa.doi}`;
  if (sa.proposals.length !== 1) return `${sa.proposals.length} proposals in the reply`;
  const prop = sa.proposals[0]!;
  if (prop.protocol !== ProtocolId.ESP) return `protocol ${prop.protocol} is not ESP`;
  if (prop.spi.length !== 4) return `SPI of ${prop.spi.length} bytes`;
  const spi = new DataView(prop.spi.buffer, prop.spi.byteOffset, 4).getUint32(0);
  if (spi < 256) return `reserved SPI ${spi}`;
  if (prop.transforms.length !== 1) return `${prop.transforms.length} transforms in the reply`;
  const t = parsePhase2Transform(prop.transforms[0]!);
  if (typeof t === 'string') return t;
  const esp = espTransformFromIke({
    transformId: t.transformId,
    ...(t.keyLength === undefined ? {} : { keyLength: t.keyLength }),
    ...(t.authAlgorithm === undefined ? {} : { authAlgorithm: t.authAlgorithm }),
  });
  if (!esp.ok) return esp.error.message;
  const name = describeTransform(esp.value);
  const match = offer.transforms.find((o) => describeTransform(o) === name);
  if (!match) return `${name} was not offered`;
  const wantMode = encapsulationModeValue(offer.mode, offer.draft);
  if (t.encapsulationMode !== wantMode)
    return `encapsulation mode ${t.encapsulationMode ?? 'missing'} instead of ${wantMode}`;
  const wantGroup = offer.pfsGroup ? DH_GROUP_IDS[offer.pfsGroup] : undefined;
  if (t.groupId !== wantGroup) {
    const got = t.groupId === undefined ? 'no PFS' : (dhGroupById(t.groupId) ?? `group ${t.groupId}`);
    return `${got} instead of ${offer.pfsGroup ?? 'no PFS'}`;
  }
  const theirs = t.lifetimes.seconds;
  return {
    transform: match,
    spi,
    encapsulationMode: wantMode,
    lifetimeSeconds: theirs === null ? offer.lifetimeSeconds : Math.min(theirs, offer.lifetimeSeconds),
    lifetimeKilobytes: t.lifetimes.kilobytes,
    pfsGroup: offer.pfsGroup,
  };
}
