/** Authentication methods a profile may allow, and their LCP Authentication-Protocol encodings (RFC 1661 §6.2). */
import { PROTO } from '../protocol';

/** What a profile allows, most preferred first. */
export type AuthMethod = 'mschapv2' | 'eap' | 'chap-md5' | 'pap';

/** Profile default: MS-CHAPv2 > EAP > CHAP-MD5 > PAP. */
export const DEFAULT_AUTH_METHODS: readonly AuthMethod[] = ['mschapv2', 'eap', 'chap-md5', 'pap'];

/** What was actually used to authenticate (EAP names its inner method). */
export type AuthResultMethod =
  | 'mschapv2'
  | 'chap-md5'
  | 'pap'
  | 'eap-mschapv2'
  | 'eap-md5'
  | 'eap' // EAP-Success without a method exchange
  | 'none'; // the server asked for no authentication

export const CHAP_MD5 = 5; // RFC 1994 §3 algorithm
export const CHAP_MSV1 = 0x80;
export const CHAP_MSV2 = 0x81; // RFC 2759 §2

/** The Authentication-Protocol option's data for a method. */
export function authOptionData(m: AuthMethod): Uint8Array {
  switch (m) {
    case 'pap':
      return Uint8Array.of(PROTO.PAP >> 8, PROTO.PAP & 0xff);
    case 'chap-md5':
      return Uint8Array.of(PROTO.CHAP >> 8, PROTO.CHAP & 0xff, CHAP_MD5);
    case 'mschapv2':
      return Uint8Array.of(PROTO.CHAP >> 8, PROTO.CHAP & 0xff, CHAP_MSV2);
    case 'eap':
      return Uint8Array.of(PROTO.EAP >> 8, PROTO.EAP & 0xff);
  }
}

/** Reads an Authentication-Protocol option: the method when Ferry implements it, and a label for messages. */
export function classifyAuthOption(data: Uint8Array): { method: AuthMethod | null; label: string } {
  if (data.length < 2) return { method: null, label: 'malformed' };
  const proto = (data[0]! << 8) | data[1]!;
  if (proto === PROTO.PAP) return { method: data.length === 2 ? 'pap' : null, label: 'PAP' };
  if (proto === PROTO.EAP) return { method: data.length === 2 ? 'eap' : null, label: 'EAP' };
  if (proto === PROTO.CHAP) {
    const alg = data[2];
    if (data.length === 3 && alg === CHAP_MD5) return { method: 'chap-md5', label: 'CHAP-MD5' };
    if (data.length === 3 && alg === CHAP_MSV2) return { method: 'mschapv2', label: 'MS-CHAPv2' };
    if (alg === CHAP_MSV1) return { method: null, label: 'MS-CHAPv1' };
    return { method: null, label: `CHAP algorithm ${alg ?? 'none'}` };
  }
  return { method: null, label: `protocol 0x${proto.toString(16).padStart(4, '0')}` };
}

export const AUTH_LABELS: Readonly<Record<AuthMethod, string>> = {
  mschapv2: 'MS-CHAPv2',
  eap: 'EAP',
  'chap-md5': 'CHAP-MD5',
  pap: 'PAP',
};
