/** Security Association payload with its Proposal and Transform substructures (RFC 2408 §3.4-§3.6, RFC 2407 §4.6.1). */
import { ByteReader, ByteWriter } from '../../common/bytes';
import { decoder, fail } from '../../common/decode';
import { DOI_IPSEC, PayloadType } from '../constants';
import { type DataAttribute, readAttributes, writeAttributes } from './attributes';

export interface Transform {
  readonly number: number;
  readonly id: number;
  readonly attributes: readonly DataAttribute[];
}

export interface Proposal {
  readonly number: number;
  readonly protocol: number;
  readonly spi: Uint8Array;
  readonly transforms: readonly Transform[];
}

export interface SaPayload {
  readonly kind: 'sa';
  readonly doi: number;
  readonly situation: number;
  readonly proposals: readonly Proposal[];
}

/** RFC 2407 §4.2: SIT_SECRECY / SIT_INTEGRITY add labeled-domain fields that nobody implements. */
const SIT_LABELED = 0x06;

function readTransform(r: ByteReader, at: number): { t: Transform; next: number } {
  const next = r.u8('transform next payload');
  if (next !== PayloadType.NONE && next !== PayloadType.TRANSFORM)
    fail('invalid', `transform followed by payload type ${next}`, at);
  r.skip(1, 'transform reserved');
  const len = r.u16('transform length');
  if (len < 8) fail('invalid', `transform length ${len} < 8`, at);
  if (len - 4 > r.remaining) fail('truncated', `transform length ${len} exceeds proposal`, at);
  const body = r.sub(len - 4, 'transform');
  const number = body.u8('transform number');
  const id = body.u8('transform id');
  body.skip(2, 'transform reserved2');
  return { t: { number, id, attributes: readAttributes(body) }, next };
}

function readProposal(r: ByteReader, at: number): { p: Proposal; next: number } {
  const next = r.u8('proposal next payload');
  if (next !== PayloadType.NONE && next !== PayloadType.PROPOSAL)
    fail('invalid', `proposal followed by payload type ${next}`, at);
  r.skip(1, 'proposal reserved');
  const len = r.u16('proposal length');
  if (len < 8) fail('invalid', `proposal length ${len} < 8`, at);
  if (len - 4 > r.remaining) fail('truncated', `proposal length ${len} exceeds SA`, at);
  const body = r.sub(len - 4, 'proposal');
  const number = body.u8('proposal number');
  const protocol = body.u8('protocol id');
  const spiSize = body.u8('spi size');
  const count = body.u8('transform count');
  const spi = body.bytesCopy(spiSize, 'spi');
  const transforms: Transform[] = [];
  let more = body.remaining > 0;
  while (more) {
    const { t, next: n } = readTransform(body, body.offset);
    transforms.push(t);
    more = n === PayloadType.TRANSFORM;
    if (more && body.remaining === 0) fail('truncated', 'transform chain ends early', body.offset);
  }
  if (body.remaining !== 0) fail('invalid', `${body.remaining} bytes after last transform`, body.offset);
  if (transforms.length !== count)
    fail('invalid', `proposal says ${count} transforms, carries ${transforms.length}`, at);
  return { p: { number, protocol, spi, transforms }, next };
}

export const decodeSaPayload = decoder((bytes: Uint8Array): SaPayload => {
  const r = new ByteReader(bytes);
  const doi = r.u32('doi');
  const situation = r.u32('situation');
  if (doi === DOI_IPSEC && situation & SIT_LABELED)
    fail('unsupported', `labeled-domain situation 0x${situation.toString(16)}`, 4);
  const proposals: Proposal[] = [];
  let more = r.remaining > 0;
  while (more) {
    const { p, next } = readProposal(r, r.offset);
    proposals.push(p);
    more = next === PayloadType.PROPOSAL;
    if (more && r.remaining === 0) fail('truncated', 'proposal chain ends early', r.offset);
  }
  if (r.remaining !== 0) fail('invalid', `${r.remaining} bytes after last proposal`, r.offset);
  return { kind: 'sa', doi, situation, proposals };
});

export function encodeSaPayload(sa: Omit<SaPayload, 'kind'>): Uint8Array {
  const w = new ByteWriter(256);
  w.u32(sa.doi).u32(sa.situation);
  sa.proposals.forEach((p, pi) => {
    const pStart = w.length;
    w.u8(pi === sa.proposals.length - 1 ? PayloadType.NONE : PayloadType.PROPOSAL)
      .u8(0)
      .u16(0);
    w.u8(p.number).u8(p.protocol).u8(p.spi.length).u8(p.transforms.length).bytes(p.spi);
    p.transforms.forEach((t, ti) => {
      const tStart = w.length;
      w.u8(ti === p.transforms.length - 1 ? PayloadType.NONE : PayloadType.TRANSFORM)
        .u8(0)
        .u16(0);
      w.u8(t.number).u8(t.id).u16(0);
      writeAttributes(w, t.attributes);
      w.patchU16(tStart + 2, w.length - tStart);
    });
    w.patchU16(pStart + 2, w.length - pStart);
  });
  return w.finish();
}
