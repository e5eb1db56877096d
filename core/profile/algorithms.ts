/**
 * Algorithm names as admins write them in profiles (strongSwan-style proposal strings), and their meaning.
 * Phase 1: `<cipher>-<prf>-<dhgroup>`, e.g. `aes256-sha256-modp2048`. Phase 2: `<cipher>-<integrity>` or
 * `<aes-gcm>` alone, e.g. `aes256-sha256`, `aes128gcm16`. SPEC §2 gives the defaults and the legacy set.
 */

export const IKE_CIPHERS = ['aes128', 'aes192', 'aes256', '3des'] as const;
export const IKE_PRFS = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'] as const;
export const DH_GROUPS = [
  'modp1024',
  'modp1536',
  'modp2048',
  'modp3072',
  'modp4096',
  'ecp256',
  'ecp384',
] as const;
export const ESP_CIPHERS = ['aes128', 'aes192', 'aes256', 'aes128gcm16', 'aes256gcm16', '3des'] as const;
export const ESP_INTEGRITY = ['sha1', 'sha256', 'sha384', 'sha512', 'md5'] as const;

export type IkeCipherName = (typeof IKE_CIPHERS)[number];
export type IkePrfName = (typeof IKE_PRFS)[number];
export type DhGroupName = (typeof DH_GROUPS)[number];
export type EspCipherName = (typeof ESP_CIPHERS)[number];
export type EspIntegrityName = (typeof ESP_INTEGRITY)[number];

export interface Phase1Proposal {
  readonly cipher: IkeCipherName;
  readonly prf: IkePrfName;
  readonly group: DhGroupName;
}

export interface Phase2Proposal {
  readonly cipher: EspCipherName;
  /** Absent for AES-GCM (combined mode). */
  readonly integrity?: EspIntegrityName;
}

/** SPEC §2 phase-1 defaults, most preferred first. */
export const DEFAULT_PHASE1 = [
  'aes256-sha256-modp2048',
  'aes128-sha256-modp2048',
  'aes256-sha1-modp2048',
  'aes128-sha1-modp2048',
  'aes256-sha256-ecp256',
  'aes256-sha384-ecp384',
] as const;

/** SPEC §2 phase-2 defaults, most preferred first. */
export const DEFAULT_PHASE2 = [
  'aes256gcm16',
  'aes128gcm16',
  'aes256-sha256',
  'aes128-sha256',
  'aes256-sha1',
  'aes128-sha1',
] as const;

/** Added after the defaults when the profile enables legacy compatibility. */
export const LEGACY_PHASE1 = [
  'aes256-sha1-modp1024',
  'aes128-sha1-modp1024',
  '3des-sha1-modp1024',
  '3des-md5-modp1024',
] as const;
export const LEGACY_PHASE2 = ['3des-sha1', 'aes128-md5', '3des-md5'] as const;

const isOneOf = <T extends string>(list: readonly T[], v: string): v is T =>
  (list as readonly string[]).includes(v);

export function parsePhase1(s: string): Phase1Proposal | null {
  const [cipher, prf, group, extra] = s.toLowerCase().split('-');
  if (extra !== undefined || !cipher || !prf || !group) return null;
  if (!isOneOf(IKE_CIPHERS, cipher) || !isOneOf(IKE_PRFS, prf) || !isOneOf(DH_GROUPS, group)) return null;
  return { cipher, prf, group };
}

export function parsePhase2(s: string): Phase2Proposal | null {
  const [cipher, integrity, extra] = s.toLowerCase().split('-');
  if (extra !== undefined || !cipher || !isOneOf(ESP_CIPHERS, cipher)) return null;
  const gcm = cipher.endsWith('gcm16');
  if (gcm) return integrity === undefined ? { cipher } : null;
  if (integrity === undefined || !isOneOf(ESP_INTEGRITY, integrity)) return null;
  return { cipher, integrity };
}

/** True when a proposal uses something SPEC §2 calls legacy (3DES, MODP-1024, MD5). */
export function isLegacyPhase1(p: Phase1Proposal): boolean {
  return p.cipher === '3des' || p.prf === 'md5' || p.group === 'modp1024';
}

export function isLegacyPhase2(p: Phase2Proposal): boolean {
  return p.cipher === '3des' || p.integrity === 'md5';
}

export function isLegacyGroup(g: DhGroupName): boolean {
  return g === 'modp1024';
}
