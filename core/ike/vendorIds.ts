/** Vendor IDs we send and recognise (RFC 3947 §3.1, draft-ietf-ipsec-nat-t-ike-0x, RFC 3706 §4). */
import { fromHex, toHex } from '../common/bytes';

/** NAT traversal dialects, best first. Quick Mode picks encapsulation modes and NAT-OA payload types from this. */
export const NATT_VARIANTS = ['rfc3947', 'draft-03', 'draft-02', 'draft-02n'] as const;
export type NattVariant = (typeof NATT_VARIANTS)[number];

export const NATT_VENDOR_IDS: Readonly<Record<NattVariant, string>> = {
  rfc3947: '4a131c81070358455c5728f20e95452f', // MD5("RFC 3947")
  'draft-03': '7d9419a65310ca6f2c179d9215529d56',
  'draft-02': 'cd60464335df21f87cfdb2fc68b6a448',
  'draft-02n': '90cb80913ebb696e086381b5ec427b1f', // "draft-ietf-ipsec-nat-t-ike-02\n"
};

/** RFC 3706 §4: DPD capability, version 1.0. */
export const DPD_VENDOR_ID = 'afcad71368a1f1c96b8696fc77570100';

/** Others seen from servers, recognised for diagnostics only. */
const KNOWN: ReadonlyArray<readonly [string, string]> = [
  ['4485152d18b6bbcd0be8a8469579ddcc', 'draft-ietf-ipsec-nat-t-ike-00'],
  ['16f6ca16e4a4066d83821a0f0aeaa862', 'draft-ietf-ipsec-nat-t-ike-01'],
  ['09002689dfd6b712', 'XAUTH'],
  ['12f5f28c457168a9702d9fe274cc0100', 'Cisco Unity'],
  ['4048b7d56ebce88525e7de7f00d6c2d3', 'IKE fragmentation'],
  ['1e2b516905991c7d7c96fcbfb587e461', 'MS NT5 ISAKMPOAKLEY'],
];

/** The vendor IDs an initiator sends in MM1 (all NAT-T dialects plus DPD). */
export function initiatorVendorIds(): Uint8Array[] {
  return [...NATT_VARIANTS.map((v) => fromHex(NATT_VENDOR_IDS[v])), fromHex(DPD_VENDOR_ID)];
}

/** A readable name for a vendor ID (hex when unknown). */
export function vendorIdName(vid: Uint8Array): string {
  const hex = toHex(vid);
  for (const v of NATT_VARIANTS) if (hex === NATT_VENDOR_IDS[v]) return `NAT-T ${v}`;
  if (hex === DPD_VENDOR_ID) return 'DPD';
  for (const [prefix, name] of KNOWN) if (hex.startsWith(prefix)) return name;
  return hex;
}

/** The best NAT-T dialect among the peer's vendor IDs, or null if it announced none. */
export function chooseNattVariant(vids: readonly Uint8Array[]): NattVariant | null {
  const hexes = new Set(vids.map((v) => toHex(v)));
  return NATT_VARIANTS.find((v) => hexes.has(NATT_VENDOR_IDS[v])) ?? null;
}

export function peerSupportsDpd(vids: readonly Uint8Array[]): boolean {
  return vids.some((v) => toHex(v) === DPD_VENDOR_ID);
}

/** True when the dialect uses the draft payload types (130/131) and encapsulation modes 61443/61444. */
export function isDraftVariant(v: NattVariant): boolean {
  return v !== 'rfc3947';
}
