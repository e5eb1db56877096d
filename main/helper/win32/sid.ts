/**
 * Security identifiers and the token structures GetTokenInformation fills (x64 layouts, little-endian).
 * A binary SID (MS-DTYP 2.4.2.2): revision 1, sub-authority count ≤ 15, a 48-bit big-endian identifier
 * authority, then the sub-authorities as little-endian DWORDs. Pointers inside TOKEN_USER / TOKEN_GROUPS are
 * absolute addresses into the same buffer, so the decoders take the buffer's address.
 */
import { decoder, fail } from '../../../core/common/decode';

export const SE_GROUP_ENABLED = 0x4;
export const SE_GROUP_USE_FOR_DENY_ONLY = 0x10;
const MAX_SUB_AUTHORITIES = 15;
/** sizeof(SID_AND_ATTRIBUTES) on x64: PSID (8), DWORD Attributes (4), padding (4). */
const SID_AND_ATTRIBUTES = 16;

export interface TokenGroup {
  readonly sid: string;
  readonly attributes: number;
}

/** A group that counts for access: enabled, and not a deny-only group (e.g. Administrators in a UAC-filtered token). */
export const groupEnabled = (g: TokenGroup) =>
  (g.attributes & SE_GROUP_ENABLED) !== 0 && (g.attributes & SE_GROUP_USE_FOR_DENY_ONLY) === 0;

function readSid(v: Buffer, at: number): { sid: string; end: number } {
  if (at + 8 > v.length) fail('truncated', 'SID header', at);
  const revision = v[at]!;
  if (revision !== 1) fail('unsupported', `SID revision ${revision}`, at);
  const n = v[at + 1]!;
  if (n > MAX_SUB_AUTHORITIES) fail('invalid', `SID with ${n} sub-authorities`, at + 1);
  const end = at + 8 + 4 * n;
  if (end > v.length) fail('truncated', 'SID sub-authorities', at + 8);
  const authority = v.readUIntBE(at + 2, 6);
  const auth =
    authority < 2 ** 32 ? String(authority) : `0x${authority.toString(16).toUpperCase().padStart(12, '0')}`;
  const subs: number[] = [];
  for (let i = 0; i < n; i++) subs.push(v.readUInt32LE(at + 8 + 4 * i));
  return { sid: ['S-1', auth, ...subs].join('-'), end };
}

const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** A whole buffer holding exactly one SID. */
export const decodeSid = decoder((b: Uint8Array): string => {
  const { sid, end } = readSid(asBuffer(b), 0);
  if (end !== b.length) fail('invalid', 'bytes after the SID', end);
  return sid;
});

export function encodeSid(sid: string): Buffer {
  const m = /^S-1-(0x[0-9A-Fa-f]{12}|\d{1,10})((?:-\d{1,10}){0,15})$/.exec(sid);
  if (!m) throw new RangeError(`not a SID: ${sid}`);
  const authority = Number(m[1]);
  const subs = m[2] ? m[2].slice(1).split('-').map(Number) : [];
  if (authority >= 2 ** 48 || subs.some((s) => s > 0xffffffff)) throw new RangeError(`not a SID: ${sid}`);
  const b = Buffer.alloc(8 + 4 * subs.length);
  b[0] = 1;
  b[1] = subs.length;
  b.writeUIntBE(authority, 2, 6);
  for (const [i, s] of subs.entries()) b.writeUInt32LE(s, 8 + 4 * i);
  return b;
}

function sidAt(v: Buffer, base: bigint, pointer: bigint, what: string): string {
  const off = pointer - base;
  if (off < 0n || off >= BigInt(v.length)) fail('invalid', `${what} points outside the buffer`);
  return readSid(v, Number(off)).sid;
}

/** TOKEN_USER { SID_AND_ATTRIBUTES User } → the user's SID. */
export const decodeTokenUser = decoder((b: Uint8Array, base: bigint): string => {
  const v = asBuffer(b);
  if (v.length < SID_AND_ATTRIBUTES) fail('truncated', 'TOKEN_USER', 0);
  return sidAt(v, base, v.readBigUInt64LE(0), 'TOKEN_USER.User.Sid');
});

/** TOKEN_GROUPS { DWORD GroupCount; SID_AND_ATTRIBUTES Groups[] } (the array 8-aligned). */
export const decodeTokenGroups = decoder((b: Uint8Array, base: bigint): TokenGroup[] => {
  const v = asBuffer(b);
  if (v.length < 8) fail('truncated', 'TOKEN_GROUPS', 0);
  const count = v.readUInt32LE(0);
  if (count > (v.length - 8) / SID_AND_ATTRIBUTES) fail('invalid', `TOKEN_GROUPS claims ${count} groups`, 0);
  const groups: TokenGroup[] = [];
  for (let i = 0; i < count; i++) {
    const at = 8 + SID_AND_ATTRIBUTES * i;
    groups.push({
      sid: sidAt(v, base, v.readBigUInt64LE(at), `Groups[${i}].Sid`),
      attributes: v.readUInt32LE(at + 8),
    });
  }
  return groups;
});

/** TOKEN_USER as the kernel lays it out at address `base` (tests, fakes). */
export function encodeTokenUser(sid: string, base: bigint): Buffer {
  const s = encodeSid(sid);
  const b = Buffer.alloc(SID_AND_ATTRIBUTES + s.length);
  b.writeBigUInt64LE(base + BigInt(SID_AND_ATTRIBUTES), 0);
  s.copy(b, SID_AND_ATTRIBUTES);
  return b;
}

/** TOKEN_GROUPS with the SIDs after the array, as the kernel lays it out at address `base`. */
export function encodeTokenGroups(groups: readonly TokenGroup[], base: bigint): Buffer {
  const sids = groups.map((g) => encodeSid(g.sid));
  const head = 8 + SID_AND_ATTRIBUTES * groups.length;
  const b = Buffer.alloc(head + sids.reduce((n, s) => n + s.length, 0));
  b.writeUInt32LE(groups.length, 0);
  let at = head;
  groups.forEach((g, i) => {
    b.writeBigUInt64LE(base + BigInt(at), 8 + SID_AND_ATTRIBUTES * i);
    b.writeUInt32LE(g.attributes, 8 + SID_AND_ATTRIBUTES * i + 8);
    sids[i]!.copy(b, at);
    at += sids[i]!.length;
  });
  return b;
}
