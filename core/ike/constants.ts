/** ISAKMP/IKEv1 registry values (RFC 2408 §3, RFC 2407 §4, RFC 2409 App. A, RFC 3947, RFC 3706). */

/** Payload types, RFC 2408 §3.1 plus NAT-T (RFC 3947 §3.2/§5.2 and the draft's private-range values). */
export const PayloadType = {
  NONE: 0,
  SA: 1,
  PROPOSAL: 2,
  TRANSFORM: 3,
  KE: 4,
  ID: 5,
  CERT: 6,
  CR: 7,
  HASH: 8,
  SIG: 9,
  NONCE: 10,
  NOTIFY: 11,
  DELETE: 12,
  VID: 13,
  NAT_D: 20,
  NAT_OA: 21,
  NAT_D_DRAFT: 130,
  NAT_OA_DRAFT: 131,
} as const;

/** Exchange types, RFC 2408 §3.1 and RFC 2409 §5.5. */
export const ExchangeType = {
  BASE: 1,
  IDENTITY_PROTECTION: 2,
  AUTH_ONLY: 3,
  AGGRESSIVE: 4,
  INFORMATIONAL: 5,
  TRANSACTION: 6,
  QUICK_MODE: 32,
  NEW_GROUP_MODE: 33,
} as const;

/** Header flags, RFC 2408 §3.1. */
export const HeaderFlag = { ENCRYPTION: 0x01, COMMIT: 0x02, AUTH_ONLY: 0x04 } as const;

/** ISAKMP version 1.0 (RFC 2408 §3.1: major 1, minor 0). */
export const ISAKMP_VERSION = 0x10;
export const ISAKMP_HEADER_LENGTH = 28;
export const GENERIC_HEADER_LENGTH = 4;

/** IPsec DOI (RFC 2407 §4.2) and its situation SIT_IDENTITY_ONLY. */
export const DOI_IPSEC = 1;
export const SIT_IDENTITY_ONLY = 1;

/** Protocol IDs, RFC 2407 §4.4.1. */
export const ProtocolId = { ISAKMP: 1, AH: 2, ESP: 3, IPCOMP: 4 } as const;

/** ISAKMP transform ID KEY_IKE, RFC 2407 §4.4.2. */
export const TRANSFORM_KEY_IKE = 1;

/** Phase-1 SA attribute types, RFC 2409 App. A. */
export const IkeAttr = {
  ENCRYPTION: 1,
  HASH: 2,
  AUTH_METHOD: 3,
  GROUP_DESCRIPTION: 4,
  GROUP_TYPE: 5,
  GROUP_PRIME: 6,
  GROUP_GENERATOR_ONE: 7,
  GROUP_GENERATOR_TWO: 8,
  GROUP_CURVE_A: 9,
  GROUP_CURVE_B: 10,
  LIFE_TYPE: 11,
  LIFE_DURATION: 12,
  PRF: 13,
  KEY_LENGTH: 14,
  FIELD_SIZE: 15,
  GROUP_ORDER: 16,
} as const;

/** Phase-1 encryption algorithm values, RFC 2409 App. A and RFC 3602 (AES-CBC = 7). */
export const IkeEncryptionId = {
  DES_CBC: 1,
  IDEA: 2,
  BLOWFISH: 3,
  RC5: 4,
  TRIPLE_DES_CBC: 5,
  CAST: 6,
  AES_CBC: 7,
} as const;

/** Phase-1 hash algorithm values, RFC 2409 App. A and RFC 4868 §4. */
export const IkeHashId = { MD5: 1, SHA1: 2, TIGER: 3, SHA2_256: 4, SHA2_384: 5, SHA2_512: 6 } as const;

/** Authentication methods, RFC 2409 App. A and RFC 4754 §5. */
export const AuthMethod = {
  PRE_SHARED_KEY: 1,
  DSS_SIGNATURES: 2,
  RSA_SIGNATURES: 3,
  RSA_ENCRYPTION: 4,
  RSA_ENCRYPTION_REVISED: 5,
  ECDSA_SHA256_P256: 9,
  ECDSA_SHA384_P384: 10,
  ECDSA_SHA512_P521: 11,
} as const;

/** Life types, RFC 2409 App. A (phase 1) and RFC 2407 §4.5 (phase 2) share these values. */
export const LifeType = { SECONDS: 1, KILOBYTES: 2 } as const;

/** IPsec DOI (phase-2) SA attribute types, RFC 2407 §4.5. */
export const IpsecAttr = {
  SA_LIFE_TYPE: 1,
  SA_LIFE_DURATION: 2,
  GROUP_DESCRIPTION: 3,
  ENCAPSULATION_MODE: 4,
  AUTH_ALGORITHM: 5,
  KEY_LENGTH: 6,
  KEY_ROUNDS: 7,
  COMPRESS_DICTIONARY_SIZE: 8,
  COMPRESS_PRIVATE_ALGORITHM: 9,
} as const;

/** Encapsulation modes, RFC 2407 §4.5, RFC 3947 §5.1 and draft-ietf-ipsec-nat-t-ike-0x. */
export const EncapsulationMode = {
  TUNNEL: 1,
  TRANSPORT: 2,
  UDP_TUNNEL_RFC: 3,
  UDP_TRANSPORT_RFC: 4,
  UDP_TUNNEL_DRAFT: 61443,
  UDP_TRANSPORT_DRAFT: 61444,
} as const;

/** Identification types, RFC 2407 §4.6.2.1. */
export const IdType = {
  IPV4_ADDR: 1,
  FQDN: 2,
  USER_FQDN: 3,
  IPV4_ADDR_SUBNET: 4,
  IPV6_ADDR: 5,
  IPV6_ADDR_SUBNET: 6,
  IPV4_ADDR_RANGE: 7,
  IPV6_ADDR_RANGE: 8,
  DER_ASN1_DN: 9,
  DER_ASN1_GN: 10,
  KEY_ID: 11,
} as const;

/** Certificate encodings, RFC 2408 §3.9. */
export const CertEncoding = {
  PKCS7: 1,
  PGP: 2,
  DNS_SIGNED_KEY: 3,
  X509_SIGNATURE: 4,
  X509_KEY_EXCHANGE: 5,
  KERBEROS: 6,
  CRL: 7,
  ARL: 8,
  SPKI: 9,
  X509_ATTRIBUTE: 10,
} as const;

/** Notify message types: errors (RFC 2408 §3.14.1), status (RFC 2407 §4.6.3), DPD (RFC 3706 §5.1). */
export const NotifyType = {
  INVALID_PAYLOAD_TYPE: 1,
  DOI_NOT_SUPPORTED: 2,
  SITUATION_NOT_SUPPORTED: 3,
  INVALID_COOKIE: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_MINOR_VERSION: 6,
  INVALID_EXCHANGE_TYPE: 7,
  INVALID_FLAGS: 8,
  INVALID_MESSAGE_ID: 9,
  INVALID_PROTOCOL_ID: 10,
  INVALID_SPI: 11,
  INVALID_TRANSFORM_ID: 12,
  ATTRIBUTES_NOT_SUPPORTED: 13,
  NO_PROPOSAL_CHOSEN: 14,
  BAD_PROPOSAL_SYNTAX: 15,
  PAYLOAD_MALFORMED: 16,
  INVALID_KEY_INFORMATION: 17,
  INVALID_ID_INFORMATION: 18,
  INVALID_CERT_ENCODING: 19,
  INVALID_CERTIFICATE: 20,
  CERT_TYPE_UNSUPPORTED: 21,
  INVALID_CERT_AUTHORITY: 22,
  INVALID_HASH_INFORMATION: 23,
  AUTHENTICATION_FAILED: 24,
  INVALID_SIGNATURE: 25,
  ADDRESS_NOTIFICATION: 26,
  NOTIFY_SA_LIFETIME: 27,
  CERTIFICATE_UNAVAILABLE: 28,
  UNSUPPORTED_EXCHANGE_TYPE: 29,
  UNEQUAL_PAYLOAD_LENGTHS: 30,
  CONNECTED: 16384,
  RESPONDER_LIFETIME: 24576,
  REPLAY_STATUS: 24577,
  INITIAL_CONTACT: 24578,
  R_U_THERE: 36136,
  R_U_THERE_ACK: 36137,
} as const;

/** Error notify types occupy 1..16383 (RFC 2408 §3.14.1). */
export function isErrorNotify(type: number): boolean {
  return type >= 1 && type <= 16383;
}

const NOTIFY_NAMES = new Map<number, string>(Object.entries(NotifyType).map(([k, v]) => [v, k]));

/** A readable name for a notify type, e.g. 'NO_PROPOSAL_CHOSEN' or 'NOTIFY_40501'. */
export function notifyName(type: number): string {
  return NOTIFY_NAMES.get(type) ?? `NOTIFY_${type}`;
}

const EXCHANGE_NAMES = new Map<number, string>(Object.entries(ExchangeType).map(([k, v]) => [v, k]));

export function exchangeName(type: number): string {
  return EXCHANGE_NAMES.get(type) ?? `EXCHANGE_${type}`;
}
