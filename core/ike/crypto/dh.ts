/**
 * Diffie-Hellman for IKEv1 phase 1 and PFS: MODP groups 1/2/5 (RFC 2409 §6, RFC 3526 §2) and 14/15/16
 * (RFC 3526 §3-§5), ECP groups 19/20 (RFC 5903). Private values come from the injected RandomSource.
 */
import { createDiffieHellman, createECDH, type DiffieHellman, type ECDH } from 'node:crypto';
import type { RandomSource } from '../../common/random';

export const DH_GROUPS = [
  'modp768',
  'modp1024',
  'modp1536',
  'modp2048',
  'modp3072',
  'modp4096',
  'ecp256',
  'ecp384',
] as const;
export type DhGroupName = (typeof DH_GROUPS)[number];

/** Group description numbers (RFC 2409 App. A, RFC 3526, RFC 5903 §4). */
export const DH_GROUP_IDS: Readonly<Record<DhGroupName, number>> = {
  modp768: 1,
  modp1024: 2,
  modp1536: 5,
  modp2048: 14,
  modp3072: 15,
  modp4096: 16,
  ecp256: 19,
  ecp384: 20,
};

/** Generator 2 for every MODP group; primes as published (RFC 2409 §6.1/§6.2, RFC 3526 §2-§5). */
export const MODP_PRIMES_HEX: Readonly<Record<Exclude<DhGroupName, 'ecp256' | 'ecp384'>, string>> = {
  modp768:
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF',
  modp1024:
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF',
  modp1536:
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF',
  modp2048:
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
    'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
    '15728E5A8AACAA68FFFFFFFFFFFFFFFF',
  modp3072:
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
    'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
    '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
    'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
    'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF',
  modp4096:
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
    'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
    '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
    'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
    'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7' +
    '88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8DBBBC2DB04DE8EF92E8EFC141FBECAA6' +
    '287C59474E6BC05D99B2964FA090C3A2233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9' +
    '93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF',
};

/** Private exponent lengths in bytes (twice the group's security strength, as strongSwan uses). */
const MODP_EXPONENT_BYTES: Readonly<Record<keyof typeof MODP_PRIMES_HEX, number>> = {
  modp768: 32,
  modp1024: 32,
  modp1536: 32,
  modp2048: 48,
  modp3072: 48,
  modp4096: 64,
};

const ECP: Readonly<Record<'ecp256' | 'ecp384', { curve: string; coordinate: number; order: bigint }>> = {
  ecp256: {
    curve: 'prime256v1',
    coordinate: 32,
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  ecp384: {
    curve: 'secp384r1',
    coordinate: 48,
    order:
      0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
};

export function isEcpGroup(g: DhGroupName): g is 'ecp256' | 'ecp384' {
  return g === 'ecp256' || g === 'ecp384';
}

/** Length of the KE payload data for a group: the prime length (MODP) or 2 coordinates (ECP, RFC 5903 §7). */
export function keLength(g: DhGroupName): number {
  return isEcpGroup(g) ? ECP[g].coordinate * 2 : MODP_PRIMES_HEX[g].length / 2;
}

export function dhGroupById(id: number): DhGroupName | undefined {
  return DH_GROUPS.find((g) => DH_GROUP_IDS[g] === id);
}

export interface DhKeyPair {
  readonly group: DhGroupName;
  /** The KE payload data: g^x padded to the prime length, or x||y for ECP. */
  readonly publicValue: Uint8Array;
  /** g^xy: for MODP padded to the prime length, for ECP the x coordinate only (RFC 5903 §7). Null if the peer's value is invalid. */
  computeShared(peer: Uint8Array): Uint8Array | null;
}

const primeCache = new Map<string, Buffer>();
function prime(g: keyof typeof MODP_PRIMES_HEX): Buffer {
  let p = primeCache.get(g);
  if (!p) {
    p = Buffer.from(MODP_PRIMES_HEX[g], 'hex');
    primeCache.set(g, p);
  }
  return p;
}

function bigFrom(b: Uint8Array): bigint {
  return b.length ? BigInt(`0x${Buffer.from(b).toString('hex')}`) : 0n;
}

function leftPad(b: Uint8Array, n: number): Uint8Array {
  if (b.length === n) return new Uint8Array(b);
  const out = new Uint8Array(n);
  out.set(b.subarray(Math.max(0, b.length - n)), Math.max(0, n - b.length));
  return out;
}

function modpPair(g: keyof typeof MODP_PRIMES_HEX, random: RandomSource): DhKeyPair {
  const p = prime(g);
  const dh: DiffieHellman = createDiffieHellman(p, 2);
  let priv = random(MODP_EXPONENT_BYTES[g]);
  if (priv.every((x) => x === 0)) priv = Uint8Array.of(1, ...priv.subarray(1));
  dh.setPrivateKey(Buffer.from(priv));
  const pub = leftPad(dh.generateKeys(), p.length);
  const pBig = bigFrom(p);
  return {
    group: g,
    publicValue: pub,
    computeShared(peer) {
      // RFC 2409 §5 / RFC 3526: the value should fill the prime length and must lie in [2, p-2]. SoftEther sends
      // it without its leading zero bytes (about one handshake in 256): accept a shorter value, padded.
      if (peer.length > p.length || peer.length === 0) return null;
      const y = bigFrom(peer);
      if (y < 2n || y > pBig - 2n) return null;
      try {
        return leftPad(dh.computeSecret(Buffer.from(leftPad(peer, p.length))), p.length);
      } catch {
        return null;
      }
    },
  };
}

function ecpPair(g: 'ecp256' | 'ecp384', random: RandomSource): DhKeyPair {
  const spec = ECP[g];
  const ecdh: ECDH = createECDH(spec.curve);
  // Rejection sampling keeps the private scalar uniform in [1, n-1].
  for (let tries = 0; ; tries++) {
    const k = random(spec.coordinate);
    const v = bigFrom(k);
    if (v >= 1n && v < spec.order) {
      ecdh.setPrivateKey(Buffer.from(k));
      break;
    }
    if (tries > 64) throw new Error('random source keeps producing invalid ECP scalars');
  }
  const uncompressed = ecdh.getPublicKey();
  return {
    group: g,
    publicValue: new Uint8Array(uncompressed.subarray(1)),
    computeShared(peer) {
      if (peer.length !== spec.coordinate * 2) return null;
      try {
        // node:crypto rejects points that are not on the curve.
        const x = ecdh.computeSecret(Buffer.concat([Buffer.of(4), Buffer.from(peer)]));
        return leftPad(x, spec.coordinate);
      } catch {
        return null;
      }
    },
  };
}

/** A fresh key pair for `group`. */
export function generateDhKeyPair(group: DhGroupName, random: RandomSource): DhKeyPair {
  return isEcpGroup(group) ? ecpPair(group, random) : modpPair(group, random);
}
