/**
 * Phase-1 proposals: the algorithm vocabulary (string unions a profile schema can reference), SPEC §2 defaults,
 * the MM1 SA payload, and validation of the responder's choice (RFC 2409 §5, App. A).
 */
import {
  AuthMethod,
  DOI_IPSEC,
  IkeAttr,
  IkeEncryptionId,
  IkeHashId,
  LifeType,
  ProtocolId,
  SIT_IDENTITY_ONLY,
  TRANSFORM_KEY_IKE,
} from './constants';
import { CIPHER_ALGORITHMS, type CipherAlgorithm } from './crypto/cipher';
import { DH_GROUP_IDS, DH_GROUPS, type DhGroupName, dhGroupById } from './crypto/dh';
import { HASH_ALGORITHMS, type HashAlgorithm } from './crypto/hash';
import { attributeNumber, basicAttribute, type DataAttribute, numberAttribute } from './payloads/attributes';
import type { SaPayload, Transform } from './payloads/sa';

export const PHASE1_ENCRYPTIONS = CIPHER_ALGORITHMS;
export type Phase1Encryption = CipherAlgorithm;
export const PHASE1_HASHES = HASH_ALGORITHMS;
export type Phase1Hash = HashAlgorithm;
export const PHASE1_GROUPS = DH_GROUPS;
export type Phase1Group = DhGroupName;

export interface Phase1Proposal {
  readonly encryption: Phase1Encryption;
  readonly hash: Phase1Hash;
  readonly group: Phase1Group;
  /** SA lifetime in seconds (SPEC §2: 8 h). */
  readonly lifetimeSeconds: number;
}

export const PHASE1_DEFAULT_LIFETIME_SECONDS = 8 * 3600;
/** Shortest phase-1 lifetime we propose (tests and servers with very short lifetimes; profiles allow 300 s up). */
export const MIN_PHASE1_LIFETIME_SECONDS = 20;

/** Algorithms that only "legacy compatibility" may enable (SPEC §2). */
export const LEGACY_ENCRYPTIONS: readonly Phase1Encryption[] = ['3des'];
export const LEGACY_HASHES: readonly Phase1Hash[] = ['md5'];
export const LEGACY_GROUPS: readonly Phase1Group[] = ['modp768', 'modp1024'];

export function isLegacyProposal(p: Phase1Proposal): boolean {
  return (
    LEGACY_ENCRYPTIONS.includes(p.encryption) ||
    LEGACY_HASHES.includes(p.hash) ||
    LEGACY_GROUPS.includes(p.group)
  );
}

/** Short text like "aes256-sha256-modp2048" (strongSwan notation), for logs and diagnostics. */
export function describeProposal(p: Pick<Phase1Proposal, 'encryption' | 'hash' | 'group'>): string {
  return `${p.encryption}-${p.hash}-${p.group}`;
}

const P = (encryption: Phase1Encryption, hash: Phase1Hash, group: Phase1Group): Phase1Proposal => ({
  encryption,
  hash,
  group,
  lifetimeSeconds: PHASE1_DEFAULT_LIFETIME_SECONDS,
});

/** SPEC §2 defaults, most preferred first. */
export const DEFAULT_PHASE1_PROPOSALS: readonly Phase1Proposal[] = [
  P('aes256', 'sha256', 'modp2048'),
  P('aes128', 'sha256', 'modp2048'),
  P('aes256', 'sha1', 'modp2048'),
  P('aes128', 'sha1', 'modp2048'),
  P('aes256', 'sha256', 'ecp256'),
  P('aes256', 'sha384', 'ecp384'),
];

/** Appended to the defaults when legacy compatibility is enabled. */
export const LEGACY_PHASE1_PROPOSALS: readonly Phase1Proposal[] = [
  P('aes256', 'sha1', 'modp1024'),
  P('aes128', 'sha1', 'modp1024'),
  P('3des', 'sha1', 'modp2048'),
  P('3des', 'sha1', 'modp1024'),
  P('3des', 'md5', 'modp1024'),
];

export function defaultPhase1Proposals(opts: { readonly legacy?: boolean } = {}): Phase1Proposal[] {
  return opts.legacy
    ? [...DEFAULT_PHASE1_PROPOSALS, ...LEGACY_PHASE1_PROPOSALS]
    : [...DEFAULT_PHASE1_PROPOSALS];
}

/** Why a proposal list is unusable, or null. Legacy algorithms need `legacy: true`. */
export function validatePhase1Proposals(
  list: readonly Phase1Proposal[],
  opts: { readonly legacy?: boolean } = {},
): string | null {
  if (list.length === 0) return 'no phase-1 proposals';
  if (list.length > 255) return 'more than 255 phase-1 proposals';
  for (const p of list) {
    if (!PHASE1_ENCRYPTIONS.includes(p.encryption)) return `unknown encryption ${String(p.encryption)}`;
    if (!PHASE1_HASHES.includes(p.hash)) return `unknown hash ${String(p.hash)}`;
    if (!PHASE1_GROUPS.includes(p.group)) return `unknown DH group ${String(p.group)}`;
    if (
      !Number.isInteger(p.lifetimeSeconds) ||
      p.lifetimeSeconds < MIN_PHASE1_LIFETIME_SECONDS ||
      p.lifetimeSeconds > 0xffffffff
    )
      return `bad lifetime ${p.lifetimeSeconds}`;
    if (!opts.legacy && isLegacyProposal(p)) return `${describeProposal(p)} needs legacy compatibility`;
  }
  return null;
}

const ENC_IDS: Readonly<Record<Phase1Encryption, { id: number; keyBits?: number }>> = {
  aes128: { id: IkeEncryptionId.AES_CBC, keyBits: 128 },
  aes192: { id: IkeEncryptionId.AES_CBC, keyBits: 192 },
  aes256: { id: IkeEncryptionId.AES_CBC, keyBits: 256 },
  '3des': { id: IkeEncryptionId.TRIPLE_DES_CBC },
};

const HASH_IDS: Readonly<Record<Phase1Hash, number>> = {
  md5: IkeHashId.MD5,
  sha1: IkeHashId.SHA1,
  sha256: IkeHashId.SHA2_256,
  sha384: IkeHashId.SHA2_384,
  sha512: IkeHashId.SHA2_512,
};

/** Transform attributes of a proposal; AES always carries Key-Length (SoftEther rejects it otherwise). */
export function phase1Attributes(
  p: Phase1Proposal,
  authMethod: number = AuthMethod.PRE_SHARED_KEY,
): DataAttribute[] {
  const enc = ENC_IDS[p.encryption];
  const attrs: DataAttribute[] = [basicAttribute(IkeAttr.ENCRYPTION, enc.id)];
  if (enc.keyBits) attrs.push(basicAttribute(IkeAttr.KEY_LENGTH, enc.keyBits));
  attrs.push(
    basicAttribute(IkeAttr.HASH, HASH_IDS[p.hash]),
    basicAttribute(IkeAttr.GROUP_DESCRIPTION, DH_GROUP_IDS[p.group]),
    basicAttribute(IkeAttr.AUTH_METHOD, authMethod),
    basicAttribute(IkeAttr.LIFE_TYPE, LifeType.SECONDS),
    numberAttribute(IkeAttr.LIFE_DURATION, p.lifetimeSeconds),
  );
  return attrs;
}

/** The MM1 SA payload: one ISAKMP proposal with one KEY_IKE transform per combination (RFC 2409 §5). */
export function phase1SaPayload(
  list: readonly Phase1Proposal[],
  authMethod: number = AuthMethod.PRE_SHARED_KEY,
): SaPayload {
  return {
    kind: 'sa',
    doi: DOI_IPSEC,
    situation: SIT_IDENTITY_ONLY,
    proposals: [
      {
        number: 1,
        protocol: ProtocolId.ISAKMP,
        spi: new Uint8Array(0),
        transforms: list.map((p, i) => ({
          number: i + 1,
          id: TRANSFORM_KEY_IKE,
          attributes: phase1Attributes(p, authMethod),
        })),
      },
    ],
  };
}

export interface ParsedPhase1Transform {
  readonly encryption: Phase1Encryption;
  readonly hash: Phase1Hash;
  readonly group: Phase1Group;
  readonly authMethod: number;
  readonly lifetimeSeconds: number | null;
}

/** Interprets a phase-1 transform; an error text for anything outside our vocabulary. */
export function parsePhase1Transform(t: Transform): ParsedPhase1Transform | string {
  if (t.id !== TRANSFORM_KEY_IKE) return `transform id ${t.id} is not KEY_IKE`;
  let encId: number | undefined;
  let keyBits: number | undefined;
  let hashId: number | undefined;
  let groupId: number | undefined;
  let authMethod: number | undefined;
  let lifeType: number | undefined;
  let lifetimeSeconds: number | null = null;
  for (const a of t.attributes) {
    const v = attributeNumber(a);
    if (v === undefined) return `attribute ${a.type} has an unusable value`;
    switch (a.type) {
      case IkeAttr.ENCRYPTION:
        encId = v;
        break;
      case IkeAttr.KEY_LENGTH:
        keyBits = v;
        break;
      case IkeAttr.HASH:
        hashId = v;
        break;
      case IkeAttr.GROUP_DESCRIPTION:
        groupId = v;
        break;
      case IkeAttr.AUTH_METHOD:
        authMethod = v;
        break;
      case IkeAttr.LIFE_TYPE:
        lifeType = v;
        break;
      case IkeAttr.LIFE_DURATION:
        // RFC 2409 App. A: a duration applies to the life type that precedes it; we only track seconds.
        if (lifeType === LifeType.SECONDS) lifetimeSeconds = v;
        else if (lifeType !== LifeType.KILOBYTES) return 'life duration without a life type';
        break;
      default:
        return `unexpected attribute ${a.type}`;
    }
  }
  const encryption = (Object.keys(ENC_IDS) as Phase1Encryption[]).find(
    (e) => ENC_IDS[e].id === encId && ENC_IDS[e].keyBits === keyBits,
  );
  if (!encryption) return `encryption ${encId ?? 'missing'} with key length ${keyBits ?? 'none'}`;
  const hash = (Object.keys(HASH_IDS) as Phase1Hash[]).find((h) => HASH_IDS[h] === hashId);
  if (!hash) return `hash ${hashId ?? 'missing'}`;
  const group = groupId === undefined ? undefined : dhGroupById(groupId);
  if (!group) return `DH group ${groupId ?? 'missing'}`;
  if (authMethod === undefined) return 'authentication method missing';
  return { encryption, hash, group, authMethod, lifetimeSeconds };
}

export interface ChosenPhase1 {
  readonly proposal: Phase1Proposal;
  /** The lifetime in force: the responder's if it returned one, never longer than ours. */
  readonly lifetimeSeconds: number;
}

/**
 * Checks MM2's SA: exactly one ISAKMP proposal with one transform that equals one we offered
 * (RFC 2409 §5: the responder returns one of the initiator's transforms). Returns the match or a reason.
 */
export function matchChosenPhase1(
  offered: readonly Phase1Proposal[],
  sa: SaPayload,
  authMethod: number = AuthMethod.PRE_SHARED_KEY,
): ChosenPhase1 | string {
  if (sa.doi !== DOI_IPSEC) return `DOI ${sa.doi}`;
  if (sa.proposals.length !== 1) return `${sa.proposals.length} proposals in the reply`;
  const prop = sa.proposals[0]!;
  if (prop.protocol !== ProtocolId.ISAKMP) return `protocol ${prop.protocol} is not ISAKMP`;
  if (prop.transforms.length !== 1) return `${prop.transforms.length} transforms in the reply`;
  const t = parsePhase1Transform(prop.transforms[0]!);
  if (typeof t === 'string') return t;
  if (t.authMethod !== authMethod) return `authentication method ${t.authMethod} instead of ${authMethod}`;
  const match = offered.find(
    (p) => p.encryption === t.encryption && p.hash === t.hash && p.group === t.group,
  );
  if (!match) return `${describeProposal(t)} was not offered`;
  const life =
    t.lifetimeSeconds === null ? match.lifetimeSeconds : Math.min(match.lifetimeSeconds, t.lifetimeSeconds);
  return { proposal: match, lifetimeSeconds: life };
}
