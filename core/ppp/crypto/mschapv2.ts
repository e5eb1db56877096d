/** MS-CHAPv2 computations (RFC 2759 §8) and the MPPE key derivation that builds on them (RFC 3079 §3.4). */
import { sha1 } from './hashes';
import type { LegacyPrimitives } from './legacy';

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

const AUTH_MAGIC1 = ascii('Magic server to client signing constant');
const AUTH_MAGIC2 = ascii('Pad to make it do more than one iteration');
const MPPE_MAGIC1 = ascii('This is the MPPE Master Key');
const MPPE_MAGIC2 = ascii(
  'On the client side, this is the send key; on the server side, it is the receive key.',
);
const MPPE_MAGIC3 = ascii(
  'On the client side, this is the receive key; on the server side, it is the send key.',
);
const SHS_PAD1 = new Uint8Array(40);
const SHS_PAD2 = new Uint8Array(40).fill(0xf2);

/** RFC 2759 §4: the challenge hash uses the user name without any "DOMAIN\" prefix. */
export function stripDomain(userName: string): string {
  const i = userName.lastIndexOf('\\');
  return i < 0 ? userName : userName.slice(i + 1);
}

/** NtPasswordHash = MD4(UTF-16LE(password)) (RFC 2759 §8.3). */
export function ntPasswordHash(p: LegacyPrimitives, password: string): Uint8Array {
  const unicode = Buffer.from(password, 'utf16le');
  try {
    return p.md4(unicode);
  } finally {
    unicode.fill(0);
  }
}

/** HashNtPasswordHash = MD4(PasswordHash) (RFC 2759 §8.4). */
export function hashNtPasswordHash(p: LegacyPrimitives, passwordHash: Uint8Array): Uint8Array {
  return p.md4(passwordHash);
}

/** ChallengeHash = SHA1(PeerChallenge | AuthenticatorChallenge | UserName)[0..8] (RFC 2759 §8.2). */
export function challengeHash(
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: string,
): Uint8Array {
  const name = new Uint8Array(Buffer.from(stripDomain(userName), 'utf8'));
  return sha1(peerChallenge, authenticatorChallenge, name).subarray(0, 8);
}

/** Spreads 56 key bits over 8 bytes, leaving the DES parity bit (bit 0) clear (RFC 2759 §8.6). */
export function desKeyFrom7(k: Uint8Array): Uint8Array {
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) {
    let v = 0;
    for (let b = 0; b < 7; b++) {
      const bit = i * 7 + b;
      v = (v << 1) | ((k[bit >> 3]! >> (7 - (bit & 7))) & 1);
    }
    out[i] = v << 1;
  }
  return out;
}

/** ChallengeResponse: three DES encryptions of the challenge under the zero-padded hash (RFC 2759 §8.5). */
export function challengeResponse(
  p: LegacyPrimitives,
  challenge: Uint8Array,
  passwordHash: Uint8Array,
): Uint8Array {
  const z = new Uint8Array(21);
  z.set(passwordHash.subarray(0, 16));
  const out = new Uint8Array(24);
  for (let i = 0; i < 3; i++) {
    out.set(p.desEncryptBlock(desKeyFrom7(z.subarray(i * 7, i * 7 + 7)), challenge), i * 8);
  }
  z.fill(0);
  return out;
}

/** GenerateNTResponse (RFC 2759 §8.1), from the password hash so the plaintext need not be kept. */
export function generateNtResponse(
  p: LegacyPrimitives,
  authenticatorChallenge: Uint8Array,
  peerChallenge: Uint8Array,
  userName: string,
  passwordHash: Uint8Array,
): Uint8Array {
  return challengeResponse(p, challengeHash(peerChallenge, authenticatorChallenge, userName), passwordHash);
}

/** GenerateAuthenticatorResponse, the 20 bytes behind "S=" (RFC 2759 §8.7). */
export function generateAuthenticatorResponse(
  p: LegacyPrimitives,
  passwordHash: Uint8Array,
  ntResponse: Uint8Array,
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: string,
): Uint8Array {
  const digest = sha1(hashNtPasswordHash(p, passwordHash), ntResponse, AUTH_MAGIC1);
  return sha1(digest, challengeHash(peerChallenge, authenticatorChallenge, userName), AUTH_MAGIC2);
}

/** The "S=<40 upper-case hex digits>" text a server sends in its Success packet (RFC 2759 §5). */
export function formatAuthenticatorResponse(response: Uint8Array): string {
  return `S=${Buffer.from(response).toString('hex').toUpperCase()}`;
}

/** GetMasterKey (RFC 3079 §3.4). */
export function mppeMasterKey(passwordHashHash: Uint8Array, ntResponse: Uint8Array): Uint8Array {
  return sha1(passwordHashHash, ntResponse, MPPE_MAGIC1).subarray(0, 16);
}

/** GetAsymmetricStartKey (RFC 3079 §3.4); keyLength 8 (40/56-bit) or 16 (128-bit). */
export function mppeAsymmetricStartKey(
  masterKey: Uint8Array,
  keyLength: 8 | 16,
  isSend: boolean,
  isServer: boolean,
): Uint8Array {
  const magic = isSend === isServer ? MPPE_MAGIC3 : MPPE_MAGIC2;
  return sha1(masterKey, SHS_PAD1, magic, SHS_PAD2).subarray(0, keyLength);
}

/** The client's 128-bit MPPE start keys after a successful MS-CHAPv2 exchange (RFC 3079 §3.4). */
export function clientMppeKeys(
  p: LegacyPrimitives,
  passwordHash: Uint8Array,
  ntResponse: Uint8Array,
): { readonly send: Uint8Array; readonly receive: Uint8Array } {
  const master = mppeMasterKey(hashNtPasswordHash(p, passwordHash), ntResponse);
  return {
    send: mppeAsymmetricStartKey(master, 16, true, false),
    receive: mppeAsymmetricStartKey(master, 16, false, false),
  };
}
