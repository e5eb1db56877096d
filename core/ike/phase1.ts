/** What an established phase 1 leaves behind: the SA state later exchanges use, and the result for diagnostics. */

import type { HashAlgorithm } from './crypto/hash';
import type { IvStore } from './crypto/ivs';
import type { Phase1KeyMaterial } from './crypto/keys';
import type { CipherContext } from './crypto/protect';
import type { Identification } from './payloads/identification';
import type { Phase1Proposal } from './proposals';
import type { NattVariant } from './vendorIds';

export interface NattState {
  /** The dialect the server spoke: Quick Mode uses encapsulation modes 3/4 (RFC) or 61443/61444 (drafts). */
  readonly variant: NattVariant;
  /** Payload types for NAT-D/NAT-OA in this dialect: 20/21 (RFC 3947) or 130/131 (drafts). */
  readonly draftPayloads: boolean;
  /** True when the server's NAT-D for our address did not match it; null when our local address is unknown. */
  readonly localBehindNat: boolean | null;
  /** True when none of the server's own NAT-D hashes matched its address (SoftEther hashes 0.0.0.0). */
  readonly remoteBehindNat: boolean;
  /** We always fake our own NAT-D so ESP is UDP-encapsulated (SPEC §1.3, like strongSwan forceencaps). */
  readonly forcedEncapsulation: true;
  /** IKE moved to port 4500 after MM4. */
  readonly floated: boolean;
}

/** Phase-1 SA state for Quick Mode, informational exchanges and rekeying. Treat as read-only except `ivs`. */
export interface Phase1Sa {
  readonly initiatorCookie: Uint8Array;
  readonly responderCookie: Uint8Array;
  readonly proposal: Phase1Proposal;
  readonly lifetimeSeconds: number;
  /** The negotiated hash; the PRF is HMAC with it (RFC 2409 §4). */
  readonly hash: HashAlgorithm;
  readonly cipher: CipherContext;
  readonly blockSize: number;
  readonly keys: Phase1KeyMaterial;
  /** IVs per message ID; phase-1 chain already advanced past MM6. */
  readonly ivs: IvStore;
  readonly natt: NattState;
  readonly localId: Identification;
  readonly peerId: Identification;
  readonly peerSupportsDpd: boolean;
  /** Clock time (ms) when MM6 was verified. */
  readonly establishedAt: number;
}

export interface Phase1Timings {
  /** MM1 sent -> MM2 accepted. */
  readonly mm1ToMm2Ms: number;
  /** Our DH key pair generation. */
  readonly dhGenerateMs: number;
  /** MM3 sent -> MM4 accepted (includes the server's DH). */
  readonly mm3ToMm4Ms: number;
  /** Shared secret + SKEYID derivation. */
  readonly keyDerivationMs: number;
  /** MM5 sent -> MM6 verified. */
  readonly mm5ToMm6Ms: number;
  readonly totalMs: number;
}

export interface Phase1Result {
  readonly proposal: Phase1Proposal;
  readonly lifetimeSeconds: number;
  readonly natt: NattState;
  readonly peerId: Identification;
  /** Names of the server's vendor IDs (hex when unknown). */
  readonly peerVendorIds: readonly string[];
  readonly peerSupportsDpd: boolean;
  readonly timings: Phase1Timings;
  /** Our retransmissions during phase 1 (timer-driven and answers to server retransmissions). */
  readonly retransmissions: number;
}
