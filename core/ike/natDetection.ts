/** NAT detection hashes (RFC 3947 §3.2): HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash, not the PRF. */
import { concatBytes, equalBytes } from '../common/bytes';
import { digest, type HashAlgorithm } from './crypto/hash';
import { ipv4Bytes } from './ipv4';

export function natDetectionHash(
  alg: HashAlgorithm,
  ckyI: Uint8Array,
  ckyR: Uint8Array,
  address: string,
  port: number,
): Uint8Array {
  const p = new Uint8Array(2);
  new DataView(p.buffer).setUint16(0, port);
  return digest(alg, concatBytes(ckyI, ckyR, ipv4Bytes(address), p));
}

/** True when `hash` equals the NAT-D hash of one of the candidate endpoints. */
export function natDetectionMatches(
  alg: HashAlgorithm,
  ckyI: Uint8Array,
  ckyR: Uint8Array,
  hash: Uint8Array,
  candidates: readonly { readonly address: string; readonly port: number }[],
): boolean {
  return candidates.some((c) => equalBytes(hash, natDetectionHash(alg, ckyI, ckyR, c.address, c.port)));
}
