/** The payload vocabulary: one union over every codec, plus dispatch by payload type (RFC 2408 §3.1). */
import type { DecodeError } from '../../common/decode';
import { ok, type Result } from '../../common/result';
import { PayloadType } from '../constants';
import { type CertPayload, decodeCertPayload, encodeCertPayload } from './certificate';
import {
  type CertRequestPayload,
  decodeCertRequestPayload,
  encodeCertRequestPayload,
} from './certificateRequest';
import { type DeletePayload, decodeDeletePayload, encodeDeletePayload } from './delete';
import { decodeHashPayload, encodeHashPayload, type HashPayload } from './hash';
import { decodeIdPayload, encodeIdPayload, type IdPayload } from './identification';
import { decodeKePayload, encodeKePayload, type KePayload } from './keyExchange';
import { decodeNatDPayload, encodeNatDPayload, type NatDPayload } from './natD';
import { decodeNatOaPayload, encodeNatOaPayload, type NatOaPayload } from './natOa';
import { decodeNoncePayload, encodeNoncePayload, type NoncePayload } from './nonce';
import { decodeNotifyPayload, encodeNotifyPayload, type NotifyPayload } from './notify';
import { decodeSaPayload, encodeSaPayload, type SaPayload } from './sa';
import { decodeSignaturePayload, encodeSignaturePayload, type SignaturePayload } from './signature';
import { decodeVendorIdPayload, encodeVendorIdPayload, type VendorIdPayload } from './vendorId';

/** A payload type we do not interpret, preserved byte for byte. */
export interface UnknownPayload {
  readonly kind: 'unknown';
  readonly payloadType: number;
  readonly body: Uint8Array;
}

export type Payload =
  | SaPayload
  | KePayload
  | IdPayload
  | CertPayload
  | CertRequestPayload
  | HashPayload
  | SignaturePayload
  | NoncePayload
  | NotifyPayload
  | DeletePayload
  | VendorIdPayload
  | NatDPayload
  | NatOaPayload
  | UnknownPayload;

export type PayloadKind = Payload['kind'];
export type PayloadOf<K extends PayloadKind> = Extract<Payload, { kind: K }>;

/** The on-the-wire payload type of a payload. */
export function payloadTypeOf(p: Payload): number {
  switch (p.kind) {
    case 'sa':
      return PayloadType.SA;
    case 'ke':
      return PayloadType.KE;
    case 'id':
      return PayloadType.ID;
    case 'cert':
      return PayloadType.CERT;
    case 'cr':
      return PayloadType.CR;
    case 'hash':
      return PayloadType.HASH;
    case 'sig':
      return PayloadType.SIG;
    case 'nonce':
      return PayloadType.NONCE;
    case 'notify':
      return PayloadType.NOTIFY;
    case 'delete':
      return PayloadType.DELETE;
    case 'vid':
      return PayloadType.VID;
    case 'nat-d':
      return p.draft ? PayloadType.NAT_D_DRAFT : PayloadType.NAT_D;
    case 'nat-oa':
      return p.draft ? PayloadType.NAT_OA_DRAFT : PayloadType.NAT_OA;
    case 'unknown':
      return p.payloadType;
  }
}

/** The payload body (without the 4-byte generic header). */
export function encodePayloadBody(p: Payload): Uint8Array {
  switch (p.kind) {
    case 'sa':
      return encodeSaPayload(p);
    case 'ke':
      return encodeKePayload(p);
    case 'id':
      return encodeIdPayload(p);
    case 'cert':
      return encodeCertPayload(p);
    case 'cr':
      return encodeCertRequestPayload(p);
    case 'hash':
      return encodeHashPayload(p);
    case 'sig':
      return encodeSignaturePayload(p);
    case 'nonce':
      return encodeNoncePayload(p);
    case 'notify':
      return encodeNotifyPayload(p);
    case 'delete':
      return encodeDeletePayload(p);
    case 'vid':
      return encodeVendorIdPayload(p);
    case 'nat-d':
      return encodeNatDPayload(p);
    case 'nat-oa':
      return encodeNatOaPayload(p);
    case 'unknown':
      return p.body.slice();
  }
}

/** Decodes a payload body of the given type; types we do not know become UnknownPayload. Total. */
export function decodePayloadBody(type: number, body: Uint8Array): Result<Payload, DecodeError> {
  switch (type) {
    case PayloadType.SA:
      return decodeSaPayload(body);
    case PayloadType.KE:
      return decodeKePayload(body);
    case PayloadType.ID:
      return decodeIdPayload(body);
    case PayloadType.CERT:
      return decodeCertPayload(body);
    case PayloadType.CR:
      return decodeCertRequestPayload(body);
    case PayloadType.HASH:
      return decodeHashPayload(body);
    case PayloadType.SIG:
      return decodeSignaturePayload(body);
    case PayloadType.NONCE:
      return decodeNoncePayload(body);
    case PayloadType.NOTIFY:
      return decodeNotifyPayload(body);
    case PayloadType.DELETE:
      return decodeDeletePayload(body);
    case PayloadType.VID:
      return decodeVendorIdPayload(body);
    case PayloadType.NAT_D:
    case PayloadType.NAT_D_DRAFT:
      return decodeNatDPayload(body, type === PayloadType.NAT_D_DRAFT);
    case PayloadType.NAT_OA:
    case PayloadType.NAT_OA_DRAFT:
      return decodeNatOaPayload(body, type === PayloadType.NAT_OA_DRAFT);
    default:
      return ok({ kind: 'unknown', payloadType: type, body: body.slice() });
  }
}
